package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The metrics come back in thousands: the mean absolute error is near the
// data's noise of 5 thousand (about 4 for a perfect fit), which it could
// not be in standardized units, where the prices' spread is 1.
func TestRegressionInTheTargetsUnits(t *testing.T) {
	r, err := run(60, nil)
	require.NoError(t, err)
	assert.Greater(t, r.R2[0], 0.95)
	assert.Greater(t, r.MAE[0], 3.5, "the noise alone gives 4 thousand")
	assert.Less(t, r.MAE[0], 15.0)
}
