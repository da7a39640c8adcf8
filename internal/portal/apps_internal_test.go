package portal

import (
	"regexp"
	"strings"
	"testing"
)

func TestAppIDRule(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id   string
		want bool
	}{
		{"weather", true}, {"team/app one", true}, {"Wetter-App_2", true}, {"ünïcode", true}, {"a.b", true},
		{"", false}, {".", false}, {"..", false}, {"*", false}, {"a,b", false}, {" a", false}, {"a ", false},
		{"a\nb", false}, {"a\rb", false}, {"a\tb", false}, {"a\u0000", false}, {"a\u202eb", false},
		{"\xff", false}, {strings.Repeat("a", 256), true}, {strings.Repeat("a", 257), false},
	}
	for _, tc := range cases {
		if got := validAppID(tc.id); got != tc.want {
			t.Errorf("validAppID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

// FuzzAppRecords feeds arbitrary bodies to the decoders of the listing and
// of one record. Never a panic; whatever is accepted keeps the contract's
// rules; an error never quotes a value from the body (a run of 16 or more
// letters and digits, longer than any field name). Seeds:
// testdata/fuzz/FuzzAppRecords.
func FuzzAppRecords(f *testing.F) {
	for _, seed := range []string{
		`{"apps":[{"id":"weather","name":"Weather","ios":{"bundleId":"com.acme.weather"},"android":{"packageName":"com.acme.weather"}}],"next":null}`,
		`{"apps":[],"next":"c1"}`,
		`{"id":"weather","name":"Weather","ios":null,"android":null}`,
		`{"apps":[{"id":"*","name":"x"}],"next":null}`,
		`{"apps":[{"id":"a","name":"A","ios":{"bundleId":"com.acme ZqXkLmN3pRsTuVw7YaBcDeF"}}],"next":null}`,
		`{"apps":null}`,
		`{"apps":[null],"next":2}`,
		`{"id":"a","name":"A","android":{"packageName":"ZqXkLmN3pRsTuVw7YaBcDeF"}}`,
		`{"id":7}`,
		`<html>`,
	} {
		f.Add(seed)
	}
	valueRun := regexp.MustCompile(`[A-Za-z0-9]{16,}`)
	f.Fuzz(func(t *testing.T, body string) {
		check := func(a App) {
			if !validAppID(a.ID) || !validName(a.Name) ||
				a.IOS != nil && !validBundleID(a.IOS.BundleID) ||
				a.Android != nil && !validPackageName(a.Android.PackageName) {
				t.Fatalf("accepted a record that breaks the contract: %+v", a)
			}
		}
		checkErr := func(err error) {
			msg := err.Error()
			for _, run := range valueRun.FindAllString(body, -1) {
				if strings.Contains(msg, run) {
					t.Fatalf("error %q quotes %q from the body", msg, run)
				}
			}
			if len(msg) > 300 || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one short line: %q", msg)
			}
		}
		apps, next, err := decodeAppPage([]byte(body))
		if err != nil {
			checkErr(err)
		} else {
			if len(apps) > MaxAppsPerPage || next != nil && (*next == "" || len(*next) > maxCursorLen) {
				t.Fatalf("accepted a page that breaks the contract: %d apps, next %v", len(apps), next)
			}
			for _, a := range apps {
				check(a)
			}
		}
		a, err := decodeApp([]byte(body))
		if err != nil {
			checkErr(err)
		} else {
			check(a)
		}
	})
}
