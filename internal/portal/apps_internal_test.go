package portal

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/appstore"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/play"
	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// storeIDs are bundle IDs and package names, good and bad, on which the
// client's rules must agree with the action's own input checks.
var storeIDs = []string{
	"", "a", "com", "com.acme.weather", "com.acme.Weather-2", "com.acme.weather_2", "com.acme..x", ".com.acme", "com.acme.",
	"com.1acme", "com.acme-x.app", "com.acme x", "com.a,com.b", "com/acme", "com.acme.wéather", "COM.ACME.APP", "a.b",
	"_a.b", "a._b", "a.b_", "com.acme.weather\n", strings.Repeat("a", 255), strings.Repeat("a", 256),
	strings.Repeat("a.", 127) + "a", strings.Repeat("a.", 128) + "a",
}

func TestBundleIDRuleIsTheActions(t *testing.T) {
	t.Parallel()
	for _, id := range storeIDs {
		if got, want := validBundleID(id), appstore.CheckBundleID(id) == nil; got != want {
			t.Errorf("validBundleID(%q) = %v, appstore.CheckBundleID accepts it: %v", id, got, want)
		}
	}
}

// refusing fails every request: the package check must not need the network.
type refusing struct{}

func (refusing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in this test")
}

func TestPackageNameRuleIsTheActions(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1:1")
	c := &play.Client{BaseURL: base, HTTP: httpx.New(httpx.Config{Transport: refusing{}}),
		Key: &playkey.Key{ClientEmail: "a@b.iam.gserviceaccount.com", PrivateKeyID: "0f", TokenURI: "http://127.0.0.1:1/token", Private: key}}
	// Cancelled: names are checked before any request, so a valid name
	// fails at once on the context instead of after retries.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, name := range storeIDs {
		_, err := c.Check(ctx, []string{name})
		var bad *play.PackageNameError
		if got, want := validPackageName(name), !errors.As(err, &bad); got != want {
			t.Errorf("validPackageName(%q) = %v, play accepts it: %v (%v)", name, got, want, err)
		}
	}
}

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
