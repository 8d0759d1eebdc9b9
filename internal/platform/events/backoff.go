package events

import (
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Backoff returns the wait before retry number attempt (1 for the first): first, doubled for every attempt
// after the first, never more than limit. Attempts below 1 count as 1. The relay, the buses' redeliveries
// and their reconnections all wait this way, so a broker or database that is down is not hammered while
// a short blip costs only the first delay.
func Backoff(attempt int, first, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < attempt && d < limit; i++ {
		if d > limit/2 {
			return limit // doubling would pass limit (or overflow)
		}
		d *= 2
	}
	return min(d, limit)
}

// IsPermanent reports whether a handler's error means the event can never be handled, however often it is
// delivered: an error of kind apperr.Invalid (an event without id or merchant, a payload the handler
// cannot accept, an undecodable message). Buses do not deliver such an event again: they log it at error
// level with its id and set it aside for an operator (see each bus's documentation). Any other error is
// transient: the event is delivered again after a growing delay, up to the bus's MaxDeliver.
func IsPermanent(err error) bool {
	return err != nil && apperr.KindOf(err) == apperr.Invalid
}
