package play_test

import (
	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/play"
)

func init() { play.SetExplain(action.Explain) }
