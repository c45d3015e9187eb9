package seats

import (
	"sort"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
)

// maxNumberInput bounds the text of one phone number as typed.
const maxNumberInput = 40

// ParseE164 reads a phone number in international form: a + then the country calling code and
// the national number, 7 to 15 digits in all, the first not 0. Spaces, hyphens, dots and
// parentheses between digits are allowed and dropped ("+1 (425) 555-0100" → "+14255550100").
func ParseE164(s string) (string, error) {
	bad := func(why string) error {
		return licet.Errorf(licet.EInvalid, "phone number %q is not in E.164 form: %s; write it as + and the country calling code, e.g. +14255550100 or +33 1 23 45 67 89", listfile.Clip(s), why).
			With("field", "number")
	}
	if len(s) > maxNumberInput {
		return "", bad("too long")
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "+") {
		return "", bad("it does not start with +")
	}
	var b strings.Builder
	b.WriteByte('+')
	prev := byte('+')
	for i := 1; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			if prev == c && c != ')' && c != '(' {
				return "", bad("doubled separator")
			}
		default:
			return "", bad("it holds a character other than digits and separators")
		}
		prev = c
	}
	n := b.String()
	digits := len(n) - 1
	switch {
	case digits == 0:
		return "", bad("no digits")
	case n[1] == '0':
		return "", bad("a country calling code never starts with 0")
	case digits < 7:
		return "", bad("fewer than 7 digits")
	case digits > 15:
		return "", bad("more than 15 digits")
	}
	return n, nil
}

// callingCodes maps countries to their ITU-T E.164 country calling codes. Countries not listed
// are accepted without the check; the calling code of a listed country is checked.
var callingCodes = map[string]string{
	"AD": "376", "AE": "971", "AF": "93", "AL": "355", "AM": "374", "AO": "244", "AR": "54", "AT": "43", "AU": "61",
	"AW": "297", "AX": "358", "AZ": "994", "BA": "387", "BD": "880", "BE": "32", "BF": "226", "BG": "359", "BH": "973",
	"BI": "257", "BJ": "229", "BN": "673", "BO": "591", "BR": "55", "BT": "975", "BW": "267", "BY": "375", "BZ": "501",
	"CA": "1", "CD": "243", "CF": "236", "CG": "242", "CH": "41", "CI": "225", "CK": "682", "CL": "56", "CM": "237",
	"CN": "86", "CO": "57", "CR": "506", "CU": "53", "CV": "238", "CY": "357", "CZ": "420", "DE": "49", "DJ": "253",
	"DK": "45", "DZ": "213", "EC": "593", "EE": "372", "EG": "20", "ER": "291", "ES": "34", "ET": "251", "FI": "358",
	"FJ": "679", "FM": "691", "FO": "298", "FR": "33", "GA": "241", "GB": "44", "GE": "995", "GF": "594", "GG": "44",
	"GH": "233", "GI": "350", "GL": "299", "GM": "220", "GN": "224", "GQ": "240", "GR": "30", "GT": "502", "GW": "245",
	"GY": "592", "HK": "852", "HN": "504", "HR": "385", "HT": "509", "HU": "36", "ID": "62", "IE": "353", "IL": "972",
	"IM": "44", "IN": "91", "IQ": "964", "IR": "98", "IS": "354", "IT": "39", "JE": "44", "JO": "962", "JP": "81",
	"KE": "254", "KG": "996", "KH": "855", "KI": "686", "KM": "269", "KP": "850", "KR": "82", "KW": "965", "KZ": "7",
	"LA": "856", "LB": "961", "LI": "423", "LK": "94", "LR": "231", "LS": "266", "LT": "370", "LU": "352", "LV": "371",
	"LY": "218", "MA": "212", "MC": "377", "MD": "373", "ME": "382", "MG": "261", "MH": "692", "MK": "389", "ML": "223",
	"MM": "95", "MN": "976", "MO": "853", "MQ": "596", "MR": "222", "MT": "356", "MU": "230", "MV": "960", "MW": "265",
	"MX": "52", "MY": "60", "MZ": "258", "NA": "264", "NC": "687", "NE": "227", "NG": "234", "NI": "505", "NL": "31",
	"NO": "47", "NP": "977", "NR": "674", "NZ": "64", "OM": "968", "PA": "507", "PE": "51", "PF": "689", "PG": "675",
	"PH": "63", "PK": "92", "PL": "48", "PM": "508", "PR": "1", "PS": "970", "PT": "351", "PW": "680", "PY": "595",
	"QA": "974", "RE": "262", "RO": "40", "RS": "381", "RU": "7", "RW": "250", "SA": "966", "SB": "677", "SC": "248",
	"SD": "249", "SE": "46", "SG": "65", "SI": "386", "SJ": "47", "SK": "421", "SL": "232", "SM": "378", "SN": "221",
	"SO": "252", "SR": "597", "SS": "211", "ST": "239", "SV": "503", "SY": "963", "SZ": "268", "TD": "235", "TG": "228",
	"TH": "66", "TJ": "992", "TL": "670", "TM": "993", "TN": "216", "TO": "676", "TR": "90", "TV": "688", "TW": "886",
	"TZ": "255", "UA": "380", "UG": "256", "US": "1", "UY": "598", "UZ": "998", "VA": "39", "VE": "58", "VN": "84",
	"VU": "678", "WS": "685", "YE": "967", "YT": "262", "ZA": "27", "ZM": "260", "ZW": "263",
}

// CheckNumberCountry checks that an E.164 number (as ParseE164 returns it) can be a number of
// country: the country code must be valid and, for a country whose calling code is known, the
// number must start with it.
func CheckNumberCountry(number, country string) error {
	if err := licet.CheckCountry("country", country); err != nil {
		return err
	}
	code, known := callingCodes[country]
	if !known || strings.HasPrefix(number, "+"+code) {
		return nil
	}
	e := licet.Errorf(licet.EInvalid, "%s is not a number of %s: %s numbers start with +%s", number, country, country, code)
	if owners := codeOwners(number); len(owners) > 0 {
		e = licet.Errorf(licet.EInvalid, "%s is not a number of %s: %s numbers start with +%s, and this one is a number of %s; add it with --country %s",
			number, country, country, code, strings.Join(owners, " or "), owners[0])
	}
	return e.With("field", "number").With("number", number)
}

// codeOwners lists the countries whose calling code starts the number.
func codeOwners(number string) []string {
	var out []string
	for c, code := range callingCodes {
		if strings.HasPrefix(number, "+"+code) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
