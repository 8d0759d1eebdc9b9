package vietqr

import "testing"

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"chuyển khoản", "chuyen khoan"},
		{"ĐẶNG Văn Đức", "DANG Van Duc"},
		{"Phở bò tái", "Pho bo tai"},
		{"ưu đãi", "uu dai"},
		{"abc-123", "abc-123"},
		{"🍜", "🍜"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  Quán   Cà phê\tĐà Lạt ", 25, "Quan Ca phe Da Lat"},
		{"Bún 🍜 chả", 25, "Bun cha"},
		{"Hà Nội xưa", 6, "Ha Noi"},
		{"Hà Nội xưa", 7, "Ha Noi"}, // the cut lands on a space, which is trimmed
		{"", 25, ""},
	}
	for _, tt := range tests {
		if got := Label(tt.in, tt.max); got != tt.want {
			t.Errorf("Label(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestNormalizeNote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Thanh toán GG-1234 .", "THANHTOANGG1234"},
		{"MBVCB.1234567.gg 7k2qx9.CT tu 0071000 NGUYEN VAN A toi", "MBVCB1234567GG7K2QX9CTTU0071000NGUYENVANATOI"},
		{"đơn #42", "DON42"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeNote(tt.in); got != tt.want {
			t.Errorf("NormalizeNote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNoteContains(t *testing.T) {
	tests := []struct {
		content, code string
		want          bool
	}{
		{"MBVCB.3278614.gg7k2qx9.CT tu 0071000123 toi 19036", "GG7K2QX9", true},
		{"IBFT GG 7K2-QX9 thanh toan", "gg7k2qx9", true},
		{"thanh toan GG7K2QX8", "GG7K2QX9", false},
		{"anything", "", false},
		{"anything", " - ", false},
	}
	for _, tt := range tests {
		if got := NoteContains(tt.content, tt.code); got != tt.want {
			t.Errorf("NoteContains(%q, %q) = %v, want %v", tt.content, tt.code, got, tt.want)
		}
	}
}
