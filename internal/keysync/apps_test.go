package keysync_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mos-tools/publisher-keys/internal/keysync"
)

func TestSelect(t *testing.T) {
	t.Parallel()

	weather := keysync.AppRecord{ID: "weather", BundleID: "com.acme.weather", PackageName: "com.acme.weather"}
	iosOnly := keysync.AppRecord{ID: "ios-only", BundleID: "com.acme.ios"}
	droid := keysync.AppRecord{ID: "droid", PackageName: "com.acme.droid"}
	bare := keysync.AppRecord{ID: "bare"}
	// Two apps of one bundle ID, as a white-label app built twice.
	twinA := keysync.AppRecord{ID: "twin-a", BundleID: "com.acme.twin"}
	twinB := keysync.AppRecord{ID: "twin-b", BundleID: "com.acme.twin"}

	cases := []struct {
		name     string
		records  []keysync.AppRecord
		platform keysync.Platform
		want     keysync.Selection
	}{
		{name: "no records", platform: keysync.PlatformIOS, want: keysync.Selection{}},
		{
			name: "iOS", records: []keysync.AppRecord{weather, iosOnly, droid, bare}, platform: keysync.PlatformIOS,
			want: keysync.Selection{
				Apps:     []string{"weather", "ios-only"},
				StoreIDs: []string{"com.acme.weather", "com.acme.ios"},
				StoreID:  map[string]string{"weather": "com.acme.weather", "ios-only": "com.acme.ios"},
				Without:  []string{"droid", "bare"},
			},
		},
		{
			name: "Android", records: []keysync.AppRecord{weather, iosOnly, droid, bare}, platform: keysync.PlatformAndroid,
			want: keysync.Selection{
				Apps:     []string{"weather", "droid"},
				StoreIDs: []string{"com.acme.weather", "com.acme.droid"},
				StoreID:  map[string]string{"weather": "com.acme.weather", "droid": "com.acme.droid"},
				Without:  []string{"ios-only", "bare"},
			},
		},
		{
			name: "a shared bundle ID is checked once", records: []keysync.AppRecord{twinA, weather, twinB}, platform: keysync.PlatformIOS,
			want: keysync.Selection{
				Apps:     []string{"twin-a", "weather", "twin-b"},
				StoreIDs: []string{"com.acme.twin", "com.acme.weather"},
				StoreID:  map[string]string{"twin-a": "com.acme.twin", "weather": "com.acme.weather", "twin-b": "com.acme.twin"},
			},
		},
		{
			name: "a repeated app counts once, as first given", records: []keysync.AppRecord{iosOnly, {ID: "ios-only", BundleID: "com.other"}}, platform: keysync.PlatformIOS,
			want: keysync.Selection{
				Apps:     []string{"ios-only"},
				StoreIDs: []string{"com.acme.ios"},
				StoreID:  map[string]string{"ios-only": "com.acme.ios"},
			},
		},
		{
			name: "no app built for the platform", records: []keysync.AppRecord{droid, bare}, platform: keysync.PlatformIOS,
			want: keysync.Selection{Without: []string{"droid", "bare"}},
		},
		{
			name: "unknown platform", records: []keysync.AppRecord{weather}, platform: "windows",
			want: keysync.Selection{Without: []string{"weather"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := keysync.Select(tc.records, tc.platform)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Select (-want +got):\n%s", diff)
			}
		})
	}
}
