package records

import "time"

// RunStats counts a model run's calls: done, failed, in flight, retried,
// answered from the cache or from an earlier run's journal, and tokens.
type RunStats struct {
	// Done counts results (successful or not); Errors the failed ones.
	Done, Errors int
	// InFlight counts calls on the wire now; Retries the retried attempts.
	InFlight, Retries int
	// Cached counts calls answered from the cache; Resumed those taken
	// from an earlier run's journal.
	Cached, Resumed int
	// Tokens is the sum of prompt and completion tokens reported so far.
	Tokens int
}

// CacheStats counts cache lookups.
type CacheStats struct {
	Hits    int64 `json:"hits"`
	Misses  int64 `json:"misses"`
	Corrupt int64 `json:"corrupt"`
}

// AdaptiveStats records how an adaptive limit moved during a run.
type AdaptiveStats struct {
	Enabled   bool `json:"enabled"`
	Max       int  `json:"max"`
	Min       int  `json:"min_reached"`
	Final     int  `json:"final"`
	Decreases int  `json:"decreases"`
	Increases int  `json:"increases"`
}

// CacheOrigin counts the answers a model run took from the response cache
// that were recorded from one endpoint, model and evalgate version.
type CacheOrigin struct {
	// Endpoint is the base URL the answers came from, without user info or
	// query; Provider the provider kind; Model the model name sent.
	Endpoint string `json:"endpoint"`
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Evalgate is the version of evalgate that recorded them.
	Evalgate string `json:"evalgate"`
	// Answers counts them.
	Answers int `json:"answers"`
	// Oldest and Newest are when the first and last of them were
	// recorded, in UTC.
	Oldest time.Time `json:"oldest"`
	Newest time.Time `json:"newest"`
}
