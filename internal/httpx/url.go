package httpx

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// URLError reports a base URL refused for use.
type URLError struct {
	Input  string // the name the caller gave the URL
	Reason string // what is wrong with it, e.g. "is empty" or ReasonCredentials
}

// ReasonCredentials is the Reason of a URL with a user name or password.
const ReasonCredentials = "contains credentials"

func (e *URLError) Error() string { return e.Input + " " + e.Reason }

// ParseBaseURL validates the base URL named input: https only, except
// plain http to a loopback host for local use; no credentials, query or
// fragment. A trailing slash is removed so paths can be appended.
func ParseBaseURL(input, raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, &URLError{Input: input, Reason: "is empty"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, &URLError{Input: input, Reason: "is not an absolute URL"}
	}
	switch {
	case u.User != nil:
		return nil, &URLError{Input: input, Reason: ReasonCredentials}
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, &URLError{Input: input, Reason: "has a query or fragment"}
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return nil, &URLError{Input: input, Reason: fmt.Sprintf("uses plain http to %s, which would send secrets unencrypted", u.Hostname())}
	default:
		return nil, &URLError{Input: input, Reason: fmt.Sprintf("has scheme %q", u.Scheme)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopbackHost reports whether host names this machine: localhost or a
// loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
