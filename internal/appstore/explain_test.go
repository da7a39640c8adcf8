package appstore_test

import (
	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/appstore"
)

func init() { appstore.SetExplain(action.Explain) }
