package signing_test

import (
	"fmt"
	"time"

	"github.com/hooklab/hooklab/signing"
)

func ExampleNew_stripe() {
	// Stripe keys the HMAC with the whole whsec_ string.
	scheme, err := signing.New("stripe", []string{"whsec_hooklabExampleSecret"}, signing.Options{Tolerance: signing.DefaultTolerance})
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"id":"evt_1","type":"customer.created"}`)
	sentAt := time.Unix(1700000000, 0)
	h, err := scheme.Sign(signing.Message{Body: body, Time: sentAt})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Stripe-Signature:", h.Get("Stripe-Signature"))

	// The receiver's clock is injected: a minute later the delivery is
	// fresh, six minutes later it is out of the five-minute tolerance.
	fmt.Println(signing.Verify(scheme, h, body, sentAt.Add(time.Minute)))
	fmt.Println(signing.Verify(scheme, h, body, sentAt.Add(6*time.Minute)))
	// Output:
	// Stripe-Signature: t=1700000000,v1=bd72b0a266d410bc0d4f9186cf16d722d093e53c229f6901a2dfa37545e120bf
	// <nil>
	// timestamp out of range: Stripe-Signature: the timestamp is 6m0s old, more than the tolerance of 5m0s: a replay, or the sender's clock is off (--tolerance 0 accepts old captures)
}

// The secret, id, time and body are the Standard Webhooks test vector, from
// standard-webhooks/standard-webhooks libraries/go/webhook_test.go
// @b2fa7b8719fb75d326b591077f5d1b385cfcdfae.
func ExampleNew_standard() {
	// Standard Webhooks keys the HMAC with the base64 after whsec_, decoded.
	scheme, err := signing.New("standard", []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, signing.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := scheme.Sign(signing.Message{
		Body: []byte(`{"test": 2432232314}`),
		ID:   "msg_p5jXN8AQM9LWM0D4loKWxJek",
		Time: time.Unix(1614265330, 0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		fmt.Printf("%s: %s\n", name, h.Get(name))
	}
	// Output:
	// webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
	// webhook-timestamp: 1614265330
	// webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}
