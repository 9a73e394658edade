package configs

import "testing"

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "https://api.openai.com/v1", "https://api.openai.com/v1"},
		{"user and password", "http://user:pa55word@127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"},
		{"user only", "http://token123@host/v1", "http://host/v1"},
		{"api-key", "https://x.openai.azure.com/openai?api-key=SECRET&api-version=2024-06-01", "https://x.openai.azure.com/openai?api-version=2024-06-01"},
		{"case and spelling", "http://h/v1?API_KEY=a&Token=b&access_token=c&sig=d&Signature=e&password=f&client_secret=g&apikey=h&x=1", "http://h/v1?x=1"},
		{"escaped name", "http://h/v1?api%2Dkey=SECRET&v=2", "http://h/v1?v=2"},
		{"every parameter a credential", "http://h/v1?key=SECRET", "http://h/v1"},
		{"both", "http://u:p@h/v1?api-key=SECRET", "http://h/v1"},
		{"does not parse", "http://u:p@h:bad port/v1?key=SECRET", "http://h:bad port/v1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
