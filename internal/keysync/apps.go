package keysync

// Platform is the store a key is for, and an app is built for.
type Platform string

// The platforms of Select.
const (
	PlatformIOS     Platform = "ios"
	PlatformAndroid Platform = "android"
)

// AppRecord is what mos.portal knows of an app (contract v1.1), as far as
// choosing the apps of one key needs it; the action fills it from
// portal.App, so this package keeps no dependency on the portal client.
type AppRecord struct {
	ID          string
	BundleID    string // "" when the app is not built for iOS
	PackageName string // "" when the app is not built for Android
}

// StoreID is the app's identity in the store of platform: its bundle ID
// for iOS, its package name for Android; "" when it has none there.
func (r AppRecord) StoreID(p Platform) string {
	switch p {
	case PlatformIOS:
		return r.BundleID
	case PlatformAndroid:
		return r.PackageName
	}
	return ""
}

// Selection is what a key of one platform is supplied to, and what its
// store check must see.
type Selection struct {
	// Apps are the IDs of the apps built for the platform, in the order of
	// the records, each once.
	Apps []string
	// StoreIDs are their bundle IDs or package names for the store check,
	// each once, in the order of Apps (two apps may share one).
	StoreIDs []string
	// StoreID maps each of Apps to its bundle ID or package name, to say
	// which apps a store ID the key cannot see leaves out.
	StoreID map[string]string
	// Without are the IDs of the apps not built for the platform, in the
	// order of the records: a key of this platform is not for them.
	Without []string
}

// Select splits records into the apps a key of platform p is for and the
// apps without an identity in its store. A record repeating an earlier
// app's ID is ignored; an unknown platform selects nothing.
func Select(records []AppRecord, p Platform) Selection {
	sel := Selection{StoreID: map[string]string{}}
	seenApp := map[string]bool{}
	seenStoreID := map[string]bool{}
	for _, r := range records {
		if seenApp[r.ID] {
			continue
		}
		seenApp[r.ID] = true
		id := r.StoreID(p)
		if id == "" {
			sel.Without = append(sel.Without, r.ID)
			continue
		}
		sel.Apps = append(sel.Apps, r.ID)
		sel.StoreID[r.ID] = id
		if !seenStoreID[id] {
			seenStoreID[id] = true
			sel.StoreIDs = append(sel.StoreIDs, id)
		}
	}
	return sel
}
