package action

import "testing"

func TestLead(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"one sentence", "mos.portal holds no key", "mos.portal holds no key"},
		{"the advice is dropped", "mos.portal rejected the token (401 unauthorized). Check the mos-token secret.", "mos.portal rejected the token (401 unauthorized)."},
		{"a full stop in parentheses", `App Store Connect rejected the key ("Invalid. Try again."). Most likely the Key ID is wrong.`, `App Store Connect rejected the key ("Invalid. Try again.").`},
		{"a full stop in quotes", `mos.portal has no app "a. B" (404). Check mos-apps.`, `mos.portal has no app "a. B" (404).`},
		{"a lower-case word after a full stop", "key ID 0f3c9a2e…. and then more", "key ID 0f3c9a2e…. and then more"},
		{"line breaks become spaces", "first line\nsecond line. Advice.", "first line second line."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := lead(tc.in); got != tc.want {
				t.Errorf("lead(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWithoutApp(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, msg, app, want string }{
		{"quoted", `mos.portal has no app "weather" in "acme".`, "weather", `mos.portal has no app "` + appMark + `" in "acme".`},
		{"a word, before a full stop", "nothing was written to app weather.", "weather", "nothing was written to app " + appMark + "."},
		{"part of a bundle ID is not the app", "it sees com.acme.weather, weather-2 and weather", "weather", "it sees com.acme.weather, weather-2 and " + appMark},
		{"a name that is not in the message", "mos.portal rejected the token.", "weather", "mos.portal rejected the token."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := withoutApp(tc.msg, tc.app); got != tc.want {
				t.Errorf("withoutApp(%q, %q) = %q, want %q", tc.msg, tc.app, got, tc.want)
			}
		})
	}
}

// TestGroup checks which notes are one cause and how the cause reads.
func TestGroup(t *testing.T) {
	t.Parallel()
	const title = "mos.portal rejected the token"
	cases := []struct {
		name  string
		notes []note
		want  []string // the messages shown, in order
	}{
		{"one app keeps its prefix",
			[]note{{level: levelError, title: title, msg: "rejected.", app: "weather", platform: "ios"}},
			[]string{"app weather (ios): rejected."}},
		{"the same cause across both stores is one, naming the apps, iOS first",
			[]note{
				{level: levelError, title: title, msg: "rejected.", app: "weather", platform: "android"},
				{level: levelError, title: title, msg: "rejected.", app: "weather", platform: "ios"},
				{level: levelError, title: title, msg: "rejected.", app: "news", platform: "ios"},
			},
			[]string{"rejected. Apps affected (3): weather, news (ios); weather (android)."}},
		{"messages that differ beyond the app's name are two causes",
			[]note{
				{level: levelError, title: title, msg: `app "weather" holds key A.`, app: "weather", platform: "ios"},
				{level: levelError, title: title, msg: `app "news" holds key B.`, app: "news", platform: "ios"},
			},
			[]string{`app weather (ios): app "weather" holds key A.`, `app news (ios): app "news" holds key B.`}},
		{"the app's name is left out of a shared message",
			[]note{
				{level: levelError, title: title, msg: `no app "ghost1".`, app: "ghost1", platform: "ios"},
				{level: levelError, title: title, msg: `no app "ghost2".`, app: "ghost2", platform: "ios"},
			},
			[]string{`no app "…". Apps affected (2): ghost1, ghost2 (ios).`}},
		{"identical run-wide notes are shown once",
			[]note{{level: levelWarning, title: "Edit left open", msg: "x"}, {level: levelWarning, title: "Edit left open", msg: "x"}},
			[]string{"x"}},
		{"another level is another cause",
			[]note{{level: levelError, title: "T", msg: "x"}, {level: levelNotice, title: "T", msg: "x"}},
			[]string{"x", "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			causes := group(tc.notes)
			var got []string
			for _, c := range causes {
				got = append(got, c.message())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("messages %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("message %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
