package keysync_test

import (
	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/keysync"
)

func init() { keysync.SetExplain(action.Explain) }
