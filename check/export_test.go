package check

// WrapText exports wrapText to the tests.
var WrapText = wrapText

// HostPort exports hostPort to the tests.
var HostPort = hostPort
