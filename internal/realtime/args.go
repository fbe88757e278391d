package realtime

// Args are the arguments of a received event or acknowledgement, as
// produced by parser.Args: a json.RawMessage for an argument holding no
// binary data, a []byte for a binary attachment, and []any or
// parser.Object for a structure holding attachments deeper down.
type Args []any

// Decode stores argument i in the value pointed to by v, with the rules of
// encoding/json; binary data decodes into []byte (at any depth, including
// []byte fields of structs) or into any.
func (a Args) Decode(i int, v any) error {
	panic("realtime: Args.Decode not implemented yet")
}
