package db

import "github.com/google/uuid"

// NewID returns a new UUIDv7 string: time-ordered, so rows inserted together sit together in an index.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
