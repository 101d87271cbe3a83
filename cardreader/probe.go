package cardreader

import (
	"errors"

	"github.com/ebfe/scard"
)

// ProbePCSC asks the PC/SC service once, without waiting, which readers are attached. It
// returns ErrNoService when no service answers and ErrNoReader when none is attached, so a
// check can say so at once instead of waiting for a card that cannot come.
func ProbePCSC() ([]string, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, mapPCSCError(err)
	}
	defer func() { _ = sc.Release() }()
	names, err := sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) || (err == nil && len(names) == 0) {
		return nil, &pcscError{sentinel: ErrNoReader, cause: scard.ErrNoReadersAvailable}
	}
	if err != nil {
		return nil, mapPCSCError(err)
	}
	return names, nil
}
