package portal

import (
	"net/http"
	"testing"
)

// TestCallLabel pins how retry lines name mos.portal requests: method, app
// and platform, never the project's query or cursor.
func TestCallLabel(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		op   call
		want string
	}{
		{"iOS key", call{method: http.MethodGet, platform: PlatformIOS, project: "acme", app: "weather", resource: ResourceKey}, "GET weather/ios"},
		{"Android upload", call{method: http.MethodPut, platform: PlatformAndroid, project: "acme", app: "news", resource: ResourceKey}, "PUT news/android"},
		{"app record", call{method: http.MethodGet, project: "acme", app: "weather", resource: ResourceApp}, "GET weather"},
		{"listing, a later page", call{method: http.MethodGet, project: "acme", resource: ResourceApps, query: "cursor=abc"}, "GET apps"},
		{"odd app name", call{method: http.MethodGet, platform: PlatformIOS, app: "we ather\n::x", resource: ResourceKey}, "GET we%20ather%0A::x/ios"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.op.label(); got != tc.want {
				t.Errorf("label() = %q, want %q", got, tc.want)
			}
		})
	}
}
