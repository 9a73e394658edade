// Package configs defines evalgate's YAML configuration: which eval set to
// read, which models to call (the candidate, and optionally the production
// version to compare against), how to prompt and score them, and the gate
// rules that turn the measurements into ALLOW or BLOCK.
//
// It is the first layer of the pipeline (configs → datasets → eval → metrics
// → reports) and imports none of the others. A Config is a plain struct:
// Load reads a file, rejects unknown keys with file:line, applies the
// documented defaults and validates what can be validated without touching
// the dataset or the network. Secrets never appear in a config; a model's API
// key is referenced by the name of the environment variable that holds it.
//
// configs/reference.yaml documents every key.
package configs
