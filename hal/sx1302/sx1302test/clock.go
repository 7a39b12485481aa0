package sx1302test

import "github.com/loraedge/loraedge/hal/internal/sx130xtest"

// Clock is a manual clock: time passes only through Advance. It drives
// the chip's 32 MHz counter and TX state machine.
type Clock = sx130xtest.Clock
