package engine

// RescueAttempts is rescueAttempts, for the tests.
const RescueAttempts = rescueAttempts
