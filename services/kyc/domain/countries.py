"""Country names as published sanctions lists write them -> ISO 3166-1 alpha-2.

Lists give nationalities as English names ("Iran (Islamic Republic of)", "Russian
Federation"); applications give alpha-2 codes. Names are compared normalised (see
`screening.normalise`); a name not found here simply does not adjust a score.
"""

from __future__ import annotations

from services.kyc.domain.text import normalise

_TABLE = """
AF Afghanistan|AL Albania|DZ Algeria|AD Andorra|AO Angola|AG Antigua and Barbuda
AR Argentina|AM Armenia|AU Australia|AT Austria|AZ Azerbaijan|BS Bahamas|BH Bahrain
BD Bangladesh|BB Barbados|BY Belarus|BE Belgium|BZ Belize|BJ Benin|BT Bhutan
BO Bolivia;Bolivia (Plurinational State of)|BA Bosnia and Herzegovina|BW Botswana|BR Brazil
BN Brunei Darussalam;Brunei|BG Bulgaria|BF Burkina Faso|BI Burundi|CV Cabo Verde;Cape Verde
KH Cambodia|CM Cameroon|CA Canada|CF Central African Republic|TD Chad|CL Chile|CN China
CO Colombia|KM Comoros|CG Congo;Republic of the Congo
CD Democratic Republic of the Congo;Congo, Democratic Republic of the|CR Costa Rica
CI Cote d'Ivoire;Ivory Coast|HR Croatia|CU Cuba|CY Cyprus|CZ Czechia;Czech Republic
DK Denmark|DJ Djibouti|DM Dominica|DO Dominican Republic|EC Ecuador|EG Egypt|SV El Salvador
GQ Equatorial Guinea|ER Eritrea|EE Estonia|SZ Eswatini;Swaziland|ET Ethiopia|FJ Fiji
FI Finland|FR France|GA Gabon|GM Gambia|GE Georgia|DE Germany|GH Ghana|GR Greece|GD Grenada
GT Guatemala|GN Guinea|GW Guinea-Bissau|GY Guyana|HT Haiti|HN Honduras
HK Hong Kong;China, Hong Kong Special Administrative Region|HU Hungary|IS Iceland|IN India
ID Indonesia|IR Iran;Iran (Islamic Republic of);Islamic Republic of Iran|IQ Iraq|IE Ireland
IL Israel|IT Italy|JM Jamaica|JP Japan|JO Jordan|KZ Kazakhstan|KE Kenya|KI Kiribati
KP North Korea;Democratic People's Republic of Korea;Korea, North
KR South Korea;Republic of Korea;Korea, South|KW Kuwait|KG Kyrgyzstan
LA Lao People's Democratic Republic;Laos|LV Latvia|LB Lebanon|LS Lesotho|LR Liberia
LY Libya|LI Liechtenstein|LT Lithuania|LU Luxembourg|MO Macao;Macau|MG Madagascar|MW Malawi
MY Malaysia|MV Maldives|ML Mali|MT Malta|MH Marshall Islands|MR Mauritania|MU Mauritius
MX Mexico|FM Micronesia (Federated States of)|MD Republic of Moldova;Moldova|MC Monaco
MN Mongolia|ME Montenegro|MA Morocco|MZ Mozambique|MM Myanmar;Burma|NA Namibia|NR Nauru
NP Nepal|NL Netherlands|NZ New Zealand|NI Nicaragua|NE Niger|NG Nigeria
MK North Macedonia;Macedonia|NO Norway|OM Oman|PK Pakistan|PW Palau
PS State of Palestine;Palestine|PA Panama|PG Papua New Guinea|PY Paraguay|PE Peru
PH Philippines|PL Poland|PT Portugal|QA Qatar|RO Romania|RU Russian Federation;Russia
RW Rwanda|KN Saint Kitts and Nevis|LC Saint Lucia|VC Saint Vincent and the Grenadines
WS Samoa|SM San Marino|ST Sao Tome and Principe|SA Saudi Arabia|SN Senegal|RS Serbia
SC Seychelles|SL Sierra Leone|SG Singapore|SK Slovakia|SI Slovenia|SB Solomon Islands
SO Somalia|ZA South Africa|SS South Sudan|ES Spain|LK Sri Lanka|SD Sudan|SR Suriname
SE Sweden|CH Switzerland|SY Syrian Arab Republic;Syria|TW Taiwan|TJ Tajikistan
TZ United Republic of Tanzania;Tanzania|TH Thailand|TL Timor-Leste|TG Togo|TO Tonga
TT Trinidad and Tobago|TN Tunisia|TR Turkey;Turkiye|TM Turkmenistan|TV Tuvalu|UG Uganda
UA Ukraine|AE United Arab Emirates
GB United Kingdom;United Kingdom of Great Britain and Northern Ireland
US United States;United States of America|UY Uruguay|UZ Uzbekistan|VU Vanuatu
VE Venezuela;Venezuela (Bolivarian Republic of)|VN Viet Nam;Vietnam|YE Yemen|ZM Zambia
ZW Zimbabwe
"""


def _parse(table: str) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for item in table.replace("\n", "|").split("|"):
        code, _, names = item.strip().partition(" ")
        for name in filter(None, names.split(";")):
            by_name[normalise(name)] = code
    return by_name


_BY_NAME = _parse(_TABLE)


def country_code(name: str) -> str | None:
    """The alpha-2 code of a country name as lists write it, or None if unknown."""
    text = name.strip()
    if len(text) == 2 and text.isalpha() and text.isupper():
        return text
    return _BY_NAME.get(normalise(text))
