package appstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	notAuthorized = ErrorObject{ID: "b4c1", Status: "401", Code: "NOT_AUTHORIZED",
		Title:  "Authentication credentials are missing or invalid.",
		Detail: "Provide a properly configured and signed bearer token, and make sure that it has not expired."}
	forbidden = ErrorObject{Status: "403", Code: "FORBIDDEN_ERROR",
		Title: "This request is forbidden for security reasons", Detail: "The API key in use does not allow this request"}
	rateLimited = ErrorObject{Status: "429", Code: "RATE_LIMIT_EXCEEDED",
		Title: "The request rate limit has been reached.", Detail: "We've received too many requests for this API."}
	invalidParam = ErrorObject{Status: "400", Code: "PARAMETER_ERROR.INVALID",
		Title: "A parameter has an invalid value", Detail: "'x' is not a valid field name"}
	// agreementMissing is Apple's answer, to (nearly) every request of a
	// team, while its Account Holder has not accepted an updated agreement.
	agreementMissing = ErrorObject{Status: "403", Code: "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED",
		Title:  "A required agreement is missing or has expired.",
		Detail: "This request requires an in-effect agreement that has not been signed or has expired."}
)

// classified is the error Check returns for an answer that is not a success.
func classified(e *APIError) error { return classify(e) }

// errorCases are the user-facing messages, pinned in testdata/errors.golden
// so a reviewer sees every wording in one place and none drifts unnoticed.
var errorCases = []struct {
	name string
	err  error
	want []string // must appear in the message users read
}{
	{"401", &APIError{Status: 401, Errors: []ErrorObject{notAuthorized}, KeyID: testKeyID, IssuerID: testIssuerID},
		[]string{"401 NOT_AUTHORIZED", testKeyID, testIssuerID, "most likely the Key ID is not this key's (compare it with the AuthKey_<ID>.p8 file name), else the Issuer ID is another team's or the key was revoked. Apple says: ",
			notAuthorized.Title, notAuthorized.Detail}},
	{"401 without body", &APIError{Status: 401, KeyID: testKeyID, IssuerID: testIssuerID},
		[]string{"401 NOT_AUTHORIZED", "no error details"}},
	{"clock behind", &ClockError{Offset: 10 * time.Minute, KeyID: testKeyID, AppleTime: time.Date(2026, 5, 4, 12, 10, 0, 0, time.UTC)},
		[]string{"The runner's clock is 10 min 0 s behind App Store Connect's (its answer was dated 2026-05-04T12:10:00Z)", "expired", "was not judged", "NTP"}},
	{"clock ahead", &ClockError{Offset: -(2*time.Hour + 3*time.Minute), KeyID: testKeyID, AppleTime: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)},
		[]string{"The runner's clock is 2 h 3 min ahead of App Store Connect's", "issued in the future", "was not judged"}},
	{"clock ahead by seconds", &ClockError{Offset: -95 * time.Second, KeyID: testKeyID, AppleTime: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)},
		[]string{"1 min 35 s ahead of"}},
	{"individual key", &IndividualKeyError{KeyID: testKeyID, API: &APIError{Status: 401, Errors: []ErrorObject{notAuthorized}, KeyID: testKeyID, IssuerID: testIssuerID}},
		[]string{"Key " + testKeyID + " is an individual API key", "(401 NOT_AUTHORIZED)", "mos.publisher needs a team key",
			"Users and Access → Integrations → App Store Connect API → Team Keys", "Admin", "Nothing is uploaded."}},
	{"403", classified(&APIError{Status: 403, Errors: []ErrorObject{forbidden}, KeyID: testKeyID, IssuerID: testIssuerID}),
		[]string{"403 FORBIDDEN_ERROR", testKeyID, "App Manager or Admin", "Users and Access → Integrations → Team Keys",
			"cannot be changed", forbidden.Detail}},
	{"403 agreement", classified(&APIError{Status: 403, Errors: []ErrorObject{agreementMissing}, KeyID: testKeyID, IssuerID: testIssuerID}),
		[]string{"403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", testKeyID, testIssuerID, "Nothing is wrong with the key",
			"Account Holder (no other user of the team can)", "App Store Connect → Business (https://appstoreconnect.apple.com/business)",
			"Program License Agreement, at https://developer.apple.com/account", "re-run", agreementMissing.Title, agreementMissing.Detail}},
	{"403 agreement after another error", classified(&APIError{Status: 403, KeyID: testKeyID, IssuerID: testIssuerID,
		Errors: []ErrorObject{forbidden, {Status: "403", Code: "FORBIDDEN.REQUIRED_AGREEMENTS_SOMETHING_NEW"}}}),
		[]string{"403 FORBIDDEN.REQUIRED_AGREEMENTS_SOMETHING_NEW", "Account Holder", "https://appstoreconnect.apple.com/business"}},
	{"429", &APIError{Status: 429, Errors: []ErrorObject{rateLimited}, RateLimit: "user-hour-lim:3500;user-hour-rem:0;", KeyID: testKeyID},
		[]string{"429 RATE_LIMIT_EXCEEDED", "0 of 3500 requests remaining", "after retries", "later"}},
	{"429 without header", &APIError{Status: 429, KeyID: testKeyID}, []string{"no X-Rate-Limit header"}},
	{"503", &APIError{Status: 503}, []string{"unavailable (503)", "after retries", "later", "nothing about the key"}},
	{"307", &APIError{Status: 307}, []string{"redirect (307)", "never follows", "asc-api-url"}},
	{"400", &APIError{Status: 400, Errors: []ErrorObject{invalidParam, invalidParam, invalidParam, invalidParam}},
		[]string{"400 PARAMETER_ERROR.INVALID", invalidParam.Detail, "and 1 more"}},
	{"control characters", &APIError{Status: 404, Errors: []ErrorObject{{Code: "NOT_FOUND", Detail: "line1\nline2\r\n::error::x"}}},
		[]string{"line1 line2 ::error::x"}},
	{"not visible", &BundleIDsNotVisibleError{Missing: []string{"com.example.b"}, KeyID: testKeyID},
		[]string{"the key " + testKeyID + " can see no app with bundle ID com.example.b; check the spelling or that the app exists in this team's App Store Connect account"}},
	{"not visible, two", &BundleIDsNotVisibleError{Missing: []string{"com.a", "com.b"}, KeyID: testKeyID},
		[]string{"bundle IDs com.a, com.b"}},
	{"none visible", &BundleIDsNotVisibleError{Missing: []string{"com.a", "com.b"}, KeyID: testKeyID, NoneVisible: true},
		[]string{"can see none of the apps asked for (bundle IDs com.a, com.b)", "spelling", "another team",
			"Account Holder has accepted Apple's updated agreements", "hide every app", "https://appstoreconnect.apple.com/business"}},
	{"bad bundle ID", &BundleIDError{ID: "com.a,com.b", Reason: "contains ','"}, []string{`"com.a,com.b"`, "asc-bundle-ids"}},
	{"no such host", &NetworkError{Host: "api.appstoreconect.apple.com", Err: &url.Error{Op: "Get", URL: "https://x/v1/apps",
		Err: &net.DNSError{Err: "no such host", Name: "api.appstoreconect.apple.com", IsNotFound: true}}},
		[]string{"could not reach App Store Connect at api.appstoreconect.apple.com", "does not resolve", "typo in asc-api-url"}},
	{"refused", &NetworkError{Host: "127.0.0.1:1", Err: &url.Error{Op: "Get", URL: "http://127.0.0.1:1/v1/apps",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}},
		[]string{"refused", "asc-api-url", "firewall"}},
	{"deadline", &NetworkError{Host: "api.appstoreconnect.apple.com", Err: context.DeadlineExceeded},
		[]string{"timeout", "proxy or firewall"}},
	{"other", &NetworkError{Host: "h", Err: &url.Error{Op: "Get", URL: "https://h/v1/apps?filter", Err: errors.New("tls: handshake failure")}},
		[]string{"(tls: handshake failure)", "proxy or firewall", "asc-api-url"}},
	{"cut mid-answer", &NetworkError{Host: "h", Err: &url.Error{Op: "Get", URL: "https://h/v1/apps", Err: fmt.Errorf("failed to read the response body: %w", io.ErrUnexpectedEOF)}},
		[]string{"dropped before the answer was complete", "re-run the workflow later"}},
	{"malformed", &ResponseError{Status: 200, Problem: "a body that is not the expected JSON"},
		[]string{"answered 200 with a body that is not the expected JSON", "asc-api-url"}},
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			title, msg := explain(tc.err)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Error() lacks %q:\n%s", w, msg)
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("Error() spans lines: %q", msg)
			}
			if title == "" || strings.ContainsAny(title, "\n\r") {
				t.Errorf("title = %q", title)
			}
		})
		title, msg := explain(tc.err)
		fmt.Fprintf(&all, "== %s\ntitle: %s\nerror: %s\n\n", tc.name, title, msg)
	}

	golden := filepath.Join("testdata", "errors.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(all.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if all.String() != string(want) {
		t.Errorf("messages differ from %s (-update to accept):\n%s", golden, all.String())
	}
}

// TestClassify pins the order Apple's answers are read in: the HTTP status
// first, errors[].code second. Only a 403 carrying an agreement code is an
// agreement problem; a plain 403 stays the role message.
func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		status        int
		codes         []string
		wantAgreement bool
		wantTitle     string
	}{
		{"agreement", 403, []string{"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"}, true,
			"App Store Connect agreement not accepted (403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED)"},
		{"any agreement code", 403, []string{"FORBIDDEN.REQUIRED_AGREEMENTS_NOT_SIGNED"}, true,
			"App Store Connect agreement not accepted (403 FORBIDDEN.REQUIRED_AGREEMENTS_NOT_SIGNED)"},
		{"agreement code second", 403, []string{"FORBIDDEN_ERROR", "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"}, true,
			"App Store Connect agreement not accepted (403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED)"},
		{"plain 403", 403, []string{"FORBIDDEN_ERROR"}, false, "The key's role lacks access (403 FORBIDDEN_ERROR)"},
		{"403 without body", 403, nil, false, "The key's role lacks access (403 FORBIDDEN_ERROR)"},
		{"other FORBIDDEN code", 403, []string{"FORBIDDEN_ERROR.CONTRACT_NOT_VALID"}, false,
			"The key's role lacks access (403 FORBIDDEN_ERROR.CONTRACT_NOT_VALID)"},
		{"prefix without the separator", 403, []string{"FORBIDDEN.REQUIRED_AGREEMENTS"}, false,
			"The key's role lacks access (403 FORBIDDEN.REQUIRED_AGREEMENTS)"},
		{"lower case", 403, []string{"forbidden.required_agreements_missing_or_expired"}, false,
			"The key's role lacks access (403 forbidden.required_agreements_missing_or_expired)"},
		{"status first: 401", 401, []string{"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"}, false,
			"App Store Connect rejected the key (401 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED)"},
		{"status first: 400", 400, []string{"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"}, false,
			"App Store Connect refused the request (400 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := &APIError{Status: tc.status, KeyID: testKeyID, IssuerID: testIssuerID}
			for _, c := range tc.codes {
				api.Errors = append(api.Errors, ErrorObject{Status: fmt.Sprint(tc.status), Code: c})
			}
			err := classify(api)
			var agreement *AgreementError
			if got := errors.As(err, &agreement); got != tc.wantAgreement {
				t.Fatalf("classify(%d %v) = %T, agreement error %t, want %t", tc.status, tc.codes, err, got, tc.wantAgreement)
			}
			if got, _ := explain(err); got != tc.wantTitle {
				t.Errorf("Title() = %q, want %q", got, tc.wantTitle)
			}
			// Callers that look for the API error still find it.
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr != api {
				t.Errorf("errors.As(%T, *APIError) does not find the answer", err)
			}
		})
	}
}

// TestAgreementMessageNeverBlamesTheKey: the remedy is the Account Holder's,
// so the message must not send anyone to make another key or change a role.
func TestAgreementMessageNeverBlamesTheKey(t *testing.T) {
	t.Parallel()
	err := classified(&APIError{Status: 403, Errors: []ErrorObject{agreementMissing}, KeyID: testKeyID, IssuerID: testIssuerID})
	title, advised := explain(err)
	for _, msg := range []string{title, advised} {
		lower := strings.ToLower(msg)
		for _, bad := range []string{"role", "generate", "new key", "revoke", "team keys", "users and access", "store it in the secrets"} {
			if strings.Contains(lower, bad) {
				t.Errorf("agreement message mentions %q:\n%s", bad, msg)
			}
		}
	}
}

func TestNetworkErrorUnwraps(t *testing.T) {
	t.Parallel()
	err := error(&NetworkError{Host: "h", Err: fmt.Errorf("x: %w", context.DeadlineExceeded)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("NetworkError does not unwrap to its cause")
	}
}

func TestCheckBundleID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id      string
		wantErr string
	}{
		{"com.example.app", ""},
		{"com.Example-App.v2", ""},
		{"", "is empty"},
		{"com.a,com.b", "contains ','"},
		{"com.a b", "contains ' '"},
		{"com.example.*", "contains '*'"},
		{strings.Repeat("a", 256), "longer"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			err := CheckBundleID(tc.id)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("CheckBundleID(%q) = %v, want nil", tc.id, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("CheckBundleID(%q) = %v, want error containing %q", tc.id, err, tc.wantErr)
			}
		})
	}
}
