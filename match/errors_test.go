package match

import "errors"

func isPatternError(err error) bool {
	var pe *PatternError
	return errors.As(err, &pe) && errors.Is(err, ErrInvalidPattern)
}
