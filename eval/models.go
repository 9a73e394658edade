package eval

import (
	"context"
	"fmt"
	"slices"

	"github.com/evalgate/evalgate/configs"
)

// ListModels asks the OpenAI-compatible endpoint at baseURL for the models
// it serves (GET {baseURL}/models) and returns their ids, sorted. key may be
// "" for a server that wants none. An error names the endpoint as
// configs.RedactURL shows it and carries the HTTP status when there is one
// (*CallError); neither the key nor credential-like URL parts appear in it.
func ListModels(ctx context.Context, baseURL, key string) ([]string, error) {
	p := newOpenAI(configs.Model{Provider: "openai"}, baseURL, key, nil)
	defer p.Close()
	list, err := p.client.ListModels(ctx)
	if err != nil {
		ce := p.classify(ctx, err)
		ce.Msg = fmt.Sprintf("list models at %s: %s", configs.RedactURL(baseURL), ce.Msg)
		return nil, ce
	}
	ids := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}
