// Package events moves domain events from the transaction that caused them to every module that reacts to
// them, without losing or doubling their effect.
//
// The path of an event:
//
//  1. A service calls Add inside its business transaction: the event is a row of the outbox table, committed
//     or rolled back with the change it describes. Nothing is published from a transaction that fails.
//  2. The Relay reads pending rows in sequence order and publishes each to the Bus with the outbox id as the
//     broker message id, then marks it published. A crash between publish and mark republishes the event;
//     the broker drops the copy (JetStream's Nats-Msg-Id dedupe window) and the inbox catches anything else.
//  3. Durable consumers (Bus.Subscribe) get each event at least once and acknowledge it after their handler
//     returns nil. Consume wraps a handler so its effect and an inbox row commit in one tenant transaction:
//     a redelivered event is acknowledged without running the handler again. A handler error of kind
//     apperr.Invalid is permanent (IsPermanent): the event is set aside, never delivered again; any other
//     error is retried with a growing delay (Backoff), a bounded number of times.
//  4. Realtime fan-out (Bus.Listen) gives every process every event, not durably, for SSE clients.
//
// The Bus implementations live in subpackages: natsbus (NATS JetStream, embedded in the process by default)
// and amqpbus (RabbitMQ). Memory is an in-process Bus for other packages' tests.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Event is one domain fact, as written to the outbox and carried by the broker (as JSON).
type Event struct {
	// ID is a UUIDv7: the outbox row id, the broker message id and the inbox key. Add fills it when empty.
	ID string `json:"id"`
	// Seq is the outbox sequence number, increasing in commit order on SQLite and in insert order on
	// PostgreSQL. It is 0 until the event has been written; SSE streams use it as the event id.
	Seq int64 `json:"seq"`
	// Type names what happened, e.g. "order.updated".
	Type string `json:"type"`
	// Subject routes the event: dot-separated tokens, e.g. "shop.<shop_id>.orders",
	// "shop.<shop_id>.kitchen.bar" or "order.events". Subscribers match it with NATS wildcards.
	Subject string `json:"subject"`
	// MerchantID is the tenant the event belongs to; consumers handle it in that tenant's transaction.
	MerchantID tenant.ID `json:"merchant_id"`
	// ShopID is the shop concerned, empty for merchant-wide events.
	ShopID string `json:"shop_id,omitempty"`
	// OccurredAt is when it happened (UTC). Add fills it from the system clock when zero, AddAt from the
	// time it is given.
	OccurredAt time.Time `json:"occurred_at"`
	// Data is the event's payload: a JSON value, typically the resource after the change.
	Data json.RawMessage `json:"data"`
}

// Handler handles one event delivered to a durable consumer. Returning nil acknowledges the event. An error
// of kind apperr.Invalid (IsPermanent) says the event can never be handled: the bus logs it and sets it
// aside without delivering it again. Any other error makes the bus deliver it again after a growing delay,
// until the bus's MaxDeliver is reached. A handler must return soon after ctx is cancelled: closing the
// subscription cancels it.
type Handler func(ctx context.Context, ev Event) error

// Subscription is a running subscription.
type Subscription interface {
	// Close stops delivering to this subscription, lets a running handler finish for a short grace period,
	// then cancels the handler's context and waits for it to return; an event whose handler did not finish
	// is handed back to the broker for another delivery. A durable consumer keeps its position on the
	// broker: the next Subscribe with the same name resumes there.
	Close() error
}

// Bus carries events between processes. Implementations: natsbus.Bus, amqpbus.Bus and Memory.
type Bus interface {
	// Publish sends ev and returns once the broker has stored it. Publishing an event with an id the broker
	// has recently seen is harmless: JetStream drops the copy, and consumers' inboxes ignore it.
	// It returns an apperr.Unavailable error when the broker cannot be reached.
	Publish(ctx context.Context, ev Event) error
	// Subscribe starts the durable consumer named consumer on the events whose subject matches one of
	// subjects (NATS syntax: "*" one token, ">" the rest). Every event is delivered at least once to one of
	// the processes subscribed under that name; it is acknowledged when h returns nil, delivered again
	// after a growing delay when h returns an error, and set aside for good when the error is permanent
	// (IsPermanent) or the event was delivered MaxDeliver times. ctx serves the setup (and lends its
	// values to handlers' contexts); the subscription runs until it or the bus is closed. It returns an apperr.Invalid error
	// for a bad name or subject, an apperr.Unavailable error when the broker cannot be reached.
	Subscribe(ctx context.Context, consumer string, subjects []string, h Handler) (Subscription, error)
	// Listen delivers every event published from now on whose subject matches subjects to h, in every
	// process that listens (fan-out, not durable), until the subscription or the bus is closed. h must not
	// block: realtime hubs queue and return.
	Listen(ctx context.Context, subjects []string, h func(Event)) (Subscription, error)
	// Ready reports whether the broker can be used now (for /health/ready).
	Ready(ctx context.Context) error
	// Close stops every subscription (as Subscription.Close does) and releases the connection.
	Close() error
}

// Publisher is what the Relay needs of a Bus.
type Publisher interface {
	Publish(ctx context.Context, ev Event) error
}

// Validate reports whether ev can be written to the outbox: a type and subject that travel safely on every
// broker and in SSE frames, a merchant, and JSON data. It returns an apperr.Invalid error.
func (ev Event) Validate() error {
	if ev.Type == "" || strings.ContainsAny(ev.Type, " \t\r\n") {
		return apperr.E(apperr.Invalid, "event type %q must be a non-empty word", ev.Type)
	}
	if err := ValidateSubject(ev.Subject); err != nil {
		return err
	}
	if ev.MerchantID == "" {
		return apperr.E(apperr.Invalid, "event %s has no merchant", ev.Type)
	}
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return apperr.E(apperr.Invalid, "event %s: data is not valid JSON", ev.Type)
	}
	return nil
}

// maxSubjectLen keeps subjects within an AMQP routing key (255 bytes) with room for a prefix.
const maxSubjectLen = 200

// ValidateSubject checks a subject an event is published on: dot-separated, non-empty tokens without
// wildcards or white space. It returns an apperr.Invalid error.
func ValidateSubject(s string) error {
	return validateSubject(s, false)
}

// ValidatePattern checks a subscription subject: like ValidateSubject, and "*" may stand for one token and a
// final ">" for one or more. It returns an apperr.Invalid error.
func ValidatePattern(s string) error {
	return validateSubject(s, true)
}

func validateSubject(s string, pattern bool) error {
	if s == "" || len(s) > maxSubjectLen {
		return apperr.E(apperr.Invalid, "subject %q must have 1 to %d characters", s, maxSubjectLen)
	}
	tokens := strings.Split(s, ".")
	for i, tok := range tokens {
		switch {
		case tok == "":
			return apperr.E(apperr.Invalid, "subject %q has an empty token", s)
		case pattern && tok == "*":
		case pattern && tok == ">" && i == len(tokens)-1:
		case strings.ContainsAny(tok, "*> \t\r\n#"):
			return apperr.E(apperr.Invalid, "subject %q: bad token %q", s, tok)
		}
	}
	return nil
}

// ValidateConsumer checks a durable consumer name: letters, digits, "_" and "-", at most 64 characters,
// so it can name a JetStream consumer and a RabbitMQ queue. It returns an apperr.Invalid error.
func ValidateConsumer(name string) error {
	if name == "" || len(name) > 64 {
		return apperr.E(apperr.Invalid, "consumer name %q must have 1 to 64 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return apperr.E(apperr.Invalid, "consumer name %q: only letters, digits, _ and -", name)
		}
	}
	return nil
}

// MatchSubject reports whether subject matches pattern in NATS syntax: "*" matches one token, a final ">"
// one or more.
func MatchSubject(pattern, subject string) bool {
	for {
		pTok, pRest, pMore := strings.Cut(pattern, ".")
		sTok, sRest, sMore := strings.Cut(subject, ".")
		if pTok == ">" && !pMore {
			return true
		}
		if pTok != "*" && pTok != sTok {
			return false
		}
		if !pMore || !sMore {
			return pMore == sMore
		}
		pattern, subject = pRest, sRest
	}
}

// MatchAny reports whether subject matches one of patterns.
func MatchAny(patterns []string, subject string) bool {
	for _, p := range patterns {
		if MatchSubject(p, subject) {
			return true
		}
	}
	return false
}

// ValidatePatterns checks a subscription's subject list: at least one, each valid.
func ValidatePatterns(subjects []string) error {
	if len(subjects) == 0 {
		return apperr.E(apperr.Invalid, "subscribe: no subjects")
	}
	for _, s := range subjects {
		if err := ValidatePattern(s); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns the JSON form of ev that brokers carry.
func Encode(ev Event) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	return b, nil
}

// Decode parses the JSON form of an event carried by a broker. A message it cannot decode is an
// apperr.Invalid error: no redelivery will make it readable (IsPermanent).
func Decode(b []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, apperr.Wrap(fmt.Errorf("decode event: %w", err), apperr.Invalid, "undecodable event")
	}
	if ev.ID == "" || ev.Subject == "" {
		return Event{}, apperr.E(apperr.Invalid, "decode event: missing id or subject")
	}
	return ev, nil
}
