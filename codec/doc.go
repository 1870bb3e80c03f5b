// Package codec converts message documents between their wire formats,
// JSON and BSON, and the plain Go values the rest of SQS MEGA works on.
//
// # The value model
//
// A decoded document is made of:
//
//   - nil, bool and string;
//   - json.Number for every number, holding its exact decimal text (a BSON
//     double becomes the shortest decimal that round-trips; NaN and the
//     infinities stay float64, since JSON has no text for them);
//   - []any and map[string]any;
//   - time.Time for BSON date-times and []byte for BSON binary data;
//
// and, for the rarer BSON types, the maps of MongoDB extended JSON
// ({"$regex": …}, {"$timestamp": …}, …).
//
// Decoding never panics and bounds nesting depth at [MaxDepth]. The BSON
// codec rejects anything that is not a well-formed document: a length
// prefix that does not match, a string that is not UTF-8 or lacks its
// terminating NUL, a boolean byte other than 0 or 1, an unknown element
// type, trailing bytes.
//
// The BSON wire format is read and written with the MongoDB Go driver's
// bson packages; this package only adds the checks and the mapping.
package codec
