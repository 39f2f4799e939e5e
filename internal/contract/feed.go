package contract

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// TicketChangeSchemaV1 is the JSON Schema of a feed event (a ticket change
// as a CloudEvent), served at /schemas/ticket-change-v1.json.
//
//go:embed ticket-change-v1.json
var TicketChangeSchemaV1 []byte

var ticketChangeSchema = func() *jsonschema.Schema {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(TicketChangeSchemaV1))
	if err != nil {
		panic(fmt.Sprintf("contract: ticket-change-v1.json: %v", err)) // embedded: a bad file never builds a working binary
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(gridwarn.FeedSchemaURL, v); err != nil {
		panic(fmt.Sprintf("contract: ticket-change-v1.json: %v", err))
	}
	return c.MustCompile(gridwarn.FeedSchemaURL)
}()

// ValidateTicketChange checks one feed event, as JSON, against the schema.
func ValidateTicketChange(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return ticketChangeSchema.Validate(doc)
}
