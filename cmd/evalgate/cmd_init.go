package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/eval"
	"github.com/evalgate/evalgate/pipeline"
)

const initUsage = "init --dataset SET.parquet [--base-url URL --model M] [--api-key-env VAR] [--out eval.yaml] [--force]"

// envNameRE is what --api-key-env accepts besides "none".
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// probeTimeout bounds init's GET /models.
const probeTimeout = 20 * time.Second

// cmdInit writes a first config for an eval set: it reads the set (columns,
// rows, group columns, labels), probes the endpoint's /models when one is
// given, and writes a commented config whose every gate rule can be
// evaluated on the set. It asks nothing, so scripts can run it.
func cmdInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "init", initUsage)
	dataset := fs.String("dataset", "", "the eval set, a Parquet `file` (required; evalgate dataset import converts JSONL and CSV)")
	baseURL := fs.String("base-url", "", "the OpenAI-compatible endpoint's base `URL`, e.g. https://api.openai.com/v1 or http://localhost:8000/v1; its /models is probed")
	model := fs.String("model", "", "the `model` to evaluate at --base-url (required with it)")
	keyEnv := fs.String("api-key-env", "OPENAI_API_KEY", "the environment `variable` that holds the API key; \"none\" sends no key")
	out := fs.String("out", "eval.yaml", "write the config to `file`")
	force := fs.Bool("force", false, "overwrite --out if it exists")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErr("init: unexpected argument %q (usage: evalgate %s)", pos[0], initUsage)
	case *dataset == "":
		return usageErr("init: --dataset FILE is required (usage: evalgate %s)", initUsage)
	case *baseURL != "" && *model == "":
		return usageErr("init: --base-url needs --model (the model to evaluate)")
	case *baseURL == "" && *model != "":
		return usageErr("init: --model needs --base-url (the endpoint that serves it)")
	case *keyEnv != "none" && !envNameRE.MatchString(*keyEnv):
		// Not echoed: a key pasted here by mistake must not reach a log.
		return usageErr("init: --api-key-env takes the name of the environment variable that holds the key (letters, digits and _), or none; not the key itself")
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return usageErr("init: %s exists; evalgate init never overwrites a config without --force", *out)
	}
	if err := checkParquet(*dataset); err != nil {
		return err
	}
	prof, err := pipeline.ProfileSet(*dataset)
	if err != nil {
		return err
	}
	info := prof.Info
	fmt.Fprintf(e.stdout, "read %s: %s, %s with a reference answer, %s with context, %s with a recorded output\n",
		safe(*dataset), plural(prof.Rows, "row"), plural(prof.Scored, "item"), plural(prof.WithContext, "item"), plural(prof.WithOutput, "item"))
	var cols []string
	for _, c := range info.Columns {
		cols = append(cols, c.Name+" ("+c.Type+")")
	}
	fmt.Fprintf(e.stdout, "columns: %s\n", safe(strings.Join(cols, ", ")))

	if *baseURL != "" {
		probeModels(ctx, e, *baseURL, *model, *keyEnv)
	}

	res := pipeline.InitConfig(prof, pipeline.InitOptions{
		Dataset:   pipeline.RelDataset(*out, *dataset),
		BaseURL:   *baseURL,
		Model:     *model,
		APIKeyEnv: *keyEnv,
	})
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return inputErr(fmt.Errorf("init: %w", err))
	}
	if *force {
		_, err = atomicfile.WriteFile(*out, res.YAML, 0o644)
	} else {
		err = atomicfile.WriteNew(*out, res.YAML, 0o644)
	}
	if err != nil {
		return inputErr(fmt.Errorf("init: write config: %w", err))
	}
	// The config must pass the checks run makes before its first call;
	// one that does not is init's bug, and is not left behind.
	if err := checkWritten(*out); err != nil {
		os.Remove(*out)
		return &exitError{exitRunFail, fmt.Errorf("init: the config written for %s does not pass run's checks (a bug in init; nothing was written): %w", *dataset, err)}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(e.stdout, "  %s\n", safe(n))
	}
	fmt.Fprintf(e.stdout, "wrote %s: every gate rule in it can be evaluated on this set\n\nnext:\n", safe(*out))
	fmt.Fprintf(e.stdout, "  evalgate run -c %s --dry-run   # render every prompt, count the calls, no model called\n", safe(*out))
	fmt.Fprintf(e.stdout, "  evalgate run -c %s             # run, score, gate: exit 0 ALLOW, 1 BLOCK\n", safe(*out))
	if *baseURL != "" && *keyEnv != "none" && e.getenv(*keyEnv) == "" {
		fmt.Fprintf(e.stdout, "  (set %s to the API key first)\n", safe(*keyEnv))
	}
	return nil
}

// checkWritten loads the config at path and checks it against its eval
// set as run does (LoadConfig, Check): gate metrics, group columns,
// templates, and rules that could never be evaluated.
func checkWritten(path string) error {
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		return err
	}
	return pipeline.Check(cfg, nil) // init reads a local set
}

// checkParquet refuses a file that is not Parquet, saying what it looks
// like and that evalgate dataset import converts it.
func checkParquet(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return inputErr(fmt.Errorf("init: --dataset: %w", err))
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := f.Read(head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return nil
	}
	what := "not a Parquet file"
	ext := strings.ToLower(filepath.Ext(path))
	trimmed := bytes.TrimSpace(head)
	switch {
	case ext == ".jsonl" || ext == ".ndjson" || ext == ".json" || bytes.HasPrefix(trimmed, []byte("{")) || bytes.HasPrefix(trimmed, []byte("[")):
		what = "this looks like JSON Lines"
	case ext == ".csv" || ext == ".tsv" || slices.Contains(head, ','):
		what = "this looks like CSV"
	}
	return inputErr(fmt.Errorf("init: --dataset %s: %s; convert it with `evalgate dataset import %s --out SET.parquet`, then run evalgate init --dataset SET.parquet", path, what, path))
}

// probeModels lists the endpoint's models and says whether model is one
// of them. It never fails init: an endpoint may not list its models, or
// may not be up yet. The key is read from keyEnv and never printed.
func probeModels(ctx context.Context, e *env, baseURL, model, keyEnv string) {
	key := ""
	if keyEnv != "none" {
		key = e.getenv(keyEnv)
	}
	shown := safe(configs.RedactURL(baseURL))
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	ids, err := eval.ListModels(ctx, baseURL, key)
	var ce *eval.CallError
	switch {
	case errors.As(err, &ce) && (ce.Status == 401 || ce.Status == 403):
		if key == "" {
			fmt.Fprintf(e.stdout, "warning: %s refused to list its models (HTTP %d): %s is not set\n", shown, ce.Status, safe(keyEnv))
		} else {
			fmt.Fprintf(e.stdout, "warning: %s refused the key in %s (HTTP %d)\n", shown, safe(keyEnv), ce.Status)
		}
	case err != nil:
		fmt.Fprintf(e.stdout, "warning: could not list the models at %s (the config is written anyway): %s\n", shown, safe(eval.Scrub(err.Error(), key)))
	case slices.Contains(ids, model):
		fmt.Fprintf(e.stdout, "%s serves %s\n", shown, safe(model))
	default:
		list := ids
		if len(list) > 20 {
			list = append(list[:20:20], fmt.Sprintf("… %d more", len(ids)-20))
		}
		fmt.Fprintf(e.stdout, "warning: %s does not list the model %q; it lists: %s\n", shown, safe(model), safe(strings.Join(list, ", ")))
	}
}
