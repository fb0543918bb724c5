package fleet

import (
	"errors"

	"github.com/icscert/icscert/internal/harness"
)

// resolveImage gives a target that names a container image its Starter.
func resolveImage(t *harness.Target) error {
	return errors.New("image: containers are not available in this build")
}
