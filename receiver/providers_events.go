package receiver

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hooklab/hooklab/internal/bodyjson"
	"github.com/hooklab/hooklab/internal/term"
	"github.com/hooklab/hooklab/signing"
)

// summarize sums up a verified payload in one line, by provider and event,
// and reports whether the payload is valid JSON; apart from that it never
// fails: what it cannot read gets a generic summary.
//
// GitHub's payloads, the ones that come in bursts, are decoded once, and
// that decode is the JSON check (see summarizeGitHub). The other
// providers' payloads are checked first and then read on a best-effort
// basis.
func summarize(providerName, event string, payload []byte) (Summary, bool) {
	if providerName == signing.ProviderGitHub {
		return summarizeGitHub(event, payload)
	}
	if !validJSON(payload) {
		return Summary{}, false
	}
	switch providerName {
	case signing.ProviderStripe:
		return summarizeStripe(payload), true
	case signing.ProviderStandard:
		return summarizeStandard(payload), true
	case signing.ProviderSlack:
		return summarizeSlack(payload), true
	case signing.ProviderShopify:
		return summarizeShopify(event, payload), true
	case signing.ProviderGitLab:
		return summarizeGitLab(payload), true
	case signing.ProviderGitea:
		return summarizeGitea(event, payload), true
	}
	sum, _ := summarizeGitHub(event, payload)
	return sum, true
}

// summarizeStripe: payment_intent pi_123 20.00 USD succeeded
func summarizeStripe(payload []byte) Summary {
	var e struct {
		Data struct {
			Object struct {
				Object   string          `json:"object"`
				ID       string          `json:"id"`
				Amount   json.RawMessage `json:"amount"`
				Total    json.RawMessage `json:"total"`
				Currency string          `json:"currency"`
				Status   string          `json:"status"`
				Email    string          `json:"email"`
			} `json:"object"`
		} `json:"data"`
	}
	_ = bodyjson.Unmarshal(payload, &e) // best effort: what decodes is used
	o := e.Data.Object
	amount := money(o.Amount, o.Currency)
	if amount == "" {
		amount = money(o.Total, o.Currency)
	}
	text := joinNonEmpty(ident(o.Object), ident(o.ID), amount, ident(o.Email), ident(o.Status))
	if text == "" {
		text = "(no data.object)"
	}
	return Summary{Text: text}
}

// money formats a Stripe amount, which is in the currency's smallest unit,
// as 20.00 USD, -0.50 USD, 4900 JPY or 12.340 KWD.
func money(raw json.RawMessage, currency string) string {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	currency = strings.ToUpper(ident(currency))
	if err != nil || currency == "" {
		return ""
	}
	sign, u := "", uint64(n)
	if n < 0 {
		sign, u = "-", -u // in uint64, so that the smallest int64 negates too
	}
	switch decimals(currency) {
	case 0:
		return fmt.Sprintf("%s%d %s", sign, u, currency)
	case 3:
		return fmt.Sprintf("%s%d.%03d %s", sign, u/1000, u%1000, currency)
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, u/100, u%100, currency)
}

// decimals is how many decimal places Stripe's amounts in currency have:
// none for its zero-decimal currencies, three for its three-decimal ones,
// two for the rest (https://docs.stripe.com/currencies).
func decimals(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "JOD", "KWD", "OMR", "TND":
		return 3
	}
	return 2
}

// summarizeStandard: the first few plain fields of data, in key order.
func summarizeStandard(payload []byte) Summary {
	var e struct {
		Data map[string]any `json:"data"`
	}
	// Numbers stay as sent: 1000000, not 1e+06.
	_ = bodyjson.UnmarshalNumbers(payload, &e)
	keys := make([]string, 0, len(e.Data))
	for k, v := range e.Data {
		switch v.(type) {
		case string, json.Number, bool:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if len(parts) == 3 {
			break
		}
		parts = append(parts, ident(k)+"="+quoteIfNeeded(fmt.Sprint(e.Data[k])))
	}
	if len(parts) == 0 {
		return Summary{Text: "(no plain fields in data)"}
	}
	return Summary{Text: strings.Join(parts, " ")}
}

func quoteIfNeeded(s string) string {
	s = term.Sanitize(s, maxTextRunes)
	if strings.ContainsAny(s, " \"") {
		return strconv.Quote(s)
	}
	return s
}

// summarizeSlack: app_mention by U123 in C456: "hello"; a url_verification
// is answered with its challenge.
func summarizeSlack(payload []byte) Summary {
	var e struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		Event     struct {
			Type    string `json:"type"`
			User    string `json:"user"`
			Channel string `json:"channel"`
			Text    string `json:"text"`
		} `json:"event"`
	}
	_ = bodyjson.Unmarshal(payload, &e)
	if e.Type == "url_verification" {
		return Summary{Text: "url_verification: the challenge is echoed in the answer", challenge: e.Challenge}
	}
	ev := e.Event
	text := ident(ev.Type)
	if u := ident(ev.User); u != "" {
		text += " by " + u
	}
	if c := ident(ev.Channel); c != "" {
		text += " in " + c
	}
	if q := quote(ev.Text); q != "" {
		text += ": " + q
	}
	if text == "" {
		text = "(no event)"
	}
	return Summary{Action: ident(ev.Type), Text: text}
}

// summarizeShopify: order #1001 99.00 USD, or product "Mug".
func summarizeShopify(topic string, payload []byte) Summary {
	var e struct {
		ID         json.Number `json:"id"`
		Name       string      `json:"name"`
		Title      string      `json:"title"`
		TotalPrice string      `json:"total_price"`
		Currency   string      `json:"currency"`
	}
	_ = bodyjson.Unmarshal(payload, &e)
	kind, _, _ := strings.Cut(topic, "/")
	kind = strings.TrimSuffix(ident(kind), "s")
	price := ""
	if e.TotalPrice != "" {
		price = ident(e.TotalPrice) + " " + ident(e.Currency)
	}
	text := joinNonEmpty(kind, ident(e.Name), quote(e.Title), strings.TrimSpace(price))
	if e.Name == "" && e.Title == "" {
		text = joinNonEmpty(text, ident(e.ID.String()))
	}
	return Summary{Text: text}
}

// summarizeGitLab: refs/heads/main: 3 commits by Mona [group/project], or
// !12 "title" opened [group/project].
func summarizeGitLab(payload []byte) Summary {
	var e struct {
		ObjectKind   string `json:"object_kind"`
		Ref          string `json:"ref"`
		UserName     string `json:"user_name"`
		TotalCommits *int   `json:"total_commits_count"`
		User         struct {
			Name string `json:"name"`
		} `json:"user"`
		Project struct {
			Path string `json:"path_with_namespace"`
		} `json:"project"`
		Attrs struct {
			IID    int64  `json:"iid"`
			Title  string `json:"title"`
			Action string `json:"action"`
			State  string `json:"state"`
		} `json:"object_attributes"`
	}
	_ = bodyjson.Unmarshal(payload, &e)
	var text string
	switch e.ObjectKind {
	case "push", "tag_push":
		commits := 0
		if e.TotalCommits != nil {
			commits = *e.TotalCommits
		}
		text = ident(e.Ref) + ": " + plural(commits, "commit")
		if u := ident(e.UserName); u != "" {
			text += " by " + u
		}
	case "merge_request":
		state := ident(e.Attrs.Action)
		if state == "" {
			state = ident(e.Attrs.State)
		}
		mr := "merge_request" // without object_attributes, rather than "!0"
		if e.Attrs.IID != 0 {
			mr = "!" + strconv.FormatInt(e.Attrs.IID, 10)
		}
		text = joinNonEmpty(mr, quote(e.Attrs.Title), state)
	default:
		text = joinNonEmpty(ident(e.ObjectKind), quote(e.Attrs.Title), ident(e.Attrs.Action))
	}
	if p := ident(e.Project.Path); p != "" {
		text += " [" + p + "]"
	}
	text = strings.TrimSpace(text)
	if text == "" {
		text = "(no object_kind)"
	}
	return Summary{Action: ident(e.Attrs.Action), Text: text}
}

// summarizeGitea reads Gitea's GitHub-like payloads with GitHub's
// summarizers, after naming the few fields that differ (the pusher's
// login, compare_url).
func summarizeGitea(event string, payload []byte) Summary {
	if event == "push" {
		var p struct {
			Ref        string     `json:"ref"`
			CompareURL string     `json:"compare_url"`
			Commits    []struct{} `json:"commits"` // counted, not read
			Pusher     struct {
				Login string `json:"login"`
			} `json:"pusher"`
			Repository struct {
				FullName string `json:"full_name"`
			} `json:"repository"`
		}
		if bodyjson.Unmarshal(payload, &p) == nil && ident(p.Ref) != "" {
			text := ident(p.Ref) + ": " + plural(len(p.Commits), "commit")
			if u := ident(p.Pusher.Login); u != "" {
				text += " by " + u
			}
			text = joinNonEmpty(text, ident(p.CompareURL))
			if r := ident(p.Repository.FullName); r != "" {
				text += " [" + r + "]"
			}
			return Summary{Text: text}
		}
	}
	sum, _ := summarizeGitHub(event, payload) // payload is already checked
	return sum
}

// summarizeSlashCommand reads a Slack slash command's form: /deploy
// "staging" by mona in ops. It reports false for a form that is not one.
func summarizeSlashCommand(body []byte) (Summary, bool) {
	values, err := url.ParseQuery(string(body))
	if err != nil || values.Get("command") == "" {
		return Summary{}, false
	}
	text := joinNonEmpty(ident(values.Get("command")), quote(values.Get("text")))
	if u := ident(values.Get("user_name")); u != "" {
		text += " by " + u
	}
	if c := ident(values.Get("channel_name")); c != "" {
		text += " in " + c
	}
	return Summary{Action: ident(values.Get("command")), Text: text}, true
}
