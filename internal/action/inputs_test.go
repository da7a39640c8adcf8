package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/keysync"
)

func TestSplitList(t *testing.T) {
	t.Parallel()

	cases := []struct {
		in   string
		want []string
	}{
		{in: "", want: nil},
		{in: "a", want: []string{"a"}},
		{in: " a , b ,, c ", want: []string{"a", "b", "c"}},
		{in: "a\nb\r\n c,d\n\n", want: []string{"a", "b", "c", "d"}},
		{in: "a, a\na", want: []string{"a"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, splitList(tc.in)); diff != "" {
				t.Errorf("splitList(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestReadConfig(t *testing.T) {
	t.Parallel()

	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "AuthKey_ABCDE12345.p8"), []byte("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "empty.p8"), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"asc-key": "k", "asc-key-id": "ABCDE12345", "asc-issuer-id": "i",
		"mos-url": "https://portal.example", "mos-token": "t", "mos-project": "p", "mos-apps": "a, b",
	}
	type got struct {
		KeyID   string
		Mode    keysync.Mode
		Timeout time.Duration
		MaxAge  time.Duration
		Apps    []string
		HasMos  bool
		APIURL  string
	}
	cases := []struct {
		name    string
		in      map[string]string
		want    *got
		wantErr []string
	}{
		{name: "defaults apply when absent", in: base, want: &got{KeyID: "ABCDE12345", Mode: keysync.ModeSync, Timeout: 2 * time.Minute, Apps: []string{"a", "b"}, HasMos: true, APIURL: "https://api.appstoreconnect.apple.com"}},
		{name: "mode is case-insensitive, age in days", in: map[string]string{"mode": "CHECK", "max-key-age": "90d", "timeout": "45s"}, want: &got{KeyID: "ABCDE12345", Mode: keysync.ModeCheck, Timeout: 45 * time.Second, MaxAge: 90 * 24 * time.Hour, Apps: []string{"a", "b"}, HasMos: true, APIURL: "https://api.appstoreconnect.apple.com"}},
		{name: "key id from the file name", in: map[string]string{"asc-key": "", "asc-key-id": "", "asc-key-file": "AuthKey_ABCDE12345.p8"}, want: &got{KeyID: "ABCDE12345", Mode: keysync.ModeSync, Timeout: 2 * time.Minute, Apps: []string{"a", "b"}, HasMos: true, APIURL: "https://api.appstoreconnect.apple.com"}},
		{name: "check without mos inputs", in: map[string]string{"mode": "check", "mos-url": "", "mos-token": "", "mos-project": "", "mos-apps": ""}, want: &got{KeyID: "ABCDE12345", Mode: keysync.ModeCheck, Timeout: 2 * time.Minute, APIURL: "https://api.appstoreconnect.apple.com"}},
		{name: "file name disagrees with key id", in: map[string]string{"asc-key": "", "asc-key-id": "ZZZZZ99999", "asc-key-file": "AuthKey_ABCDE12345.p8"}, wantErr: []string{"input asc-key-id: is ZZZZZ99999 but the key file is named AuthKey_ABCDE12345.p8"}},
		{name: "missing file", in: map[string]string{"asc-key": "", "asc-key-file": "nope.p8"}, wantErr: []string{"input asc-key-file: file nope.p8 does not exist"}},
		{name: "empty file", in: map[string]string{"asc-key": "", "asc-key-file": "empty.p8"}, wantErr: []string{"input asc-key-file: file empty.p8 is empty"}},
		{name: "all problems at once", in: map[string]string{"mode": "nope", "timeout": "-1s", "max-key-age": "ninety", "asc-api-url": "http://apple.example"},
			wantErr: []string{"input mode: is \"nope\"", "input timeout: is \"-1s\"", "input max-key-age: is \"ninety\"", "input asc-api-url uses plain http"}},
		{name: "no key at all", in: map[string]string{"asc-key": ""}, wantErr: []string{"is empty although asc-key-id"}},
		{name: "nothing given", in: map[string]string{"asc-key": "", "asc-key-id": "", "asc-issuer-id": ""}, wantErr: []string{"no key was given"}},
		{name: "play packages without play key", in: map[string]string{"play-package-names": "com.acme"}, wantErr: []string{"input play-service-account: is empty although play-package-names"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := map[string]string{}
			for k, v := range base {
				in[k] = v
			}
			for k, v := range tc.in {
				in[k] = v
			}
			c, err := readConfig(func(name string) string { return in[name] }, ws)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if msg := explainText(err); !strings.Contains(msg, w) {
						t.Errorf("error %q lacks %q", msg, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			g := &got{KeyID: c.ascKeyID, Mode: c.mode, Timeout: c.timeout, MaxAge: c.maxKeyAge, Apps: c.mosApps, HasMos: c.hasMos(), APIURL: c.ascAPIURL.String()}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// Only a regular file of at most 64 KiB is read as a key file, and nothing
// that is not one can hang or exhaust the read.
func TestReadKeyFileKinds(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	write := func(name string, size int) {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(strings.Repeat("k", size)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("max", 64<<10)
	write("over", 64<<10+1)
	if err := os.Mkdir(filepath.Join(ws, "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, wantErr string }{
		{"max", ""},
		{"over", "larger than 64 KiB"},
		{"dir", "is a directory"},
		{"/dev/zero", "is a device"},
		{"/dev/null", "is a device"},
		{"missing", "does not exist"},
		{"/proc/self/status", ""}, // size 0, yet it holds data
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			content, err := readKeyFile(ws, tc.name)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr == "" && content == "":
				t.Fatal("read nothing")
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestMosAppsRefused(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"asc-key": "k", "asc-key-id": "ABCDE12345", "asc-issuer-id": "57246542-96fe-1a63-e053-0824d011072a",
		"mos-url": "https://portal.example", "mos-token": "t", "mos-project": "p",
	}
	for name, apps := range map[string]string{
		"bare CR":        "weather, ne\rws",
		"escape":         "we\x1bather",
		"line separator": "we\u2028ather",
		"paragraph sep":  "we\u2029ather",
		"next line":      "we\u0085ather",
		"over 200":       strings.Repeat("a", 201),
		"nul":            "a\x00b",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := map[string]string{"mos-apps": apps}
			for k, v := range base {
				in[k] = v
			}
			_, err := readConfig(func(n string) string { return in[n] }, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), "input mos-apps") {
				t.Fatalf("error %v, want mos-apps refused", err)
			}
		})
	}
	in := map[string]string{"mos-apps": strings.Repeat("a", 200)}
	for k, v := range base {
		in[k] = v
	}
	if _, err := readConfig(func(n string) string { return in[n] }, t.TempDir()); err != nil && strings.Contains(err.Error(), "mos-apps") {
		t.Errorf("a 200-character entry refused: %v", err)
	}
}
