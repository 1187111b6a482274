//! Per-recipient marks in confidential text, and reading them back from a leaked copy
//! (policy §7.2.2, §7.3; SPEC G6).
//!
//! Every copy of a confidential message a recipient reads is written with marks that only its
//! delivery has: at each character that has a look-alike twin (Latin letters and their Cyrillic
//! twins; Han characters and their Kangxi-radical, radical-supplement or compatibility twins),
//! a bit drawn from the delivery's secret seed and the four letters before it decides whether
//! the twin is shown. The reader sees the same text; a copy pasted into a chat or a document
//! keeps the pattern, even in part, because each bit depends only on its neighbours. A
//! zero-width tag (the seed's 32-bit tag between word joiners) rides along where nothing strips
//! it, and names the delivery outright.
//!
//! Tracing reads a leaked text back into slots (a twin-able character with four letters before
//! it, and whether the twin was shown) and scores each candidate delivery by the share of slots
//! its seed explains; a random seed explains half. Zero-width characters and whitespace are
//! ignored, so a copy with them stripped or re-spaced traces the same.
//!
//! What lives elsewhere: seeds come from the server's key (`liaison_app::leaks::seed`), the
//! candidates from the delivery ledger, the watermark drawn over portal pages from the
//! templates.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Letters of context a slot's bit depends on.
pub const CONTEXT: usize = 4;
/// Zero-width characters: bit 0, bit 1, and the joiner that brackets the tag.
const ZW0: char = '\u{200B}';
const ZW1: char = '\u{200C}';
const ZW_JOIN: char = '\u{2060}';

/// A delivery's secret: what decides its marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seed(pub u64);

impl Seed {
    /// From the first eight bytes of a keyed hash of the delivery (at least eight bytes).
    pub fn from_bytes(b: &[u8]) -> Seed {
        let mut a = [0u8; 8];
        for (i, x) in b.iter().take(8).enumerate() {
            a[i] = *x;
        }
        Seed(u64::from_le_bytes(a))
    }

    /// The 32 bits the zero-width tag carries.
    pub fn tag(self) -> u32 {
        (self.0 >> 32) as u32
    }

    fn bit(self, key: u64) -> bool {
        mix(self.0 ^ key.rotate_left(17)) & 1 == 1
    }
}

/// SplitMix64's finaliser: every input bit moves every output bit.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of a slot: its character and the letters before it.
fn key(context: &Context, c: char) -> u64 {
    let mut h = mix(c as u64);
    for x in context.letters() {
        h = mix(h ^ x as u64);
    }
    h
}

/// The last [`CONTEXT`] letters (alphanumeric, in their original form) seen.
#[derive(Default, Clone)]
struct Context {
    ring: [char; CONTEXT],
    len: usize,
}

impl Context {
    fn push(&mut self, c: char) {
        if c.is_alphanumeric() {
            self.ring.rotate_left(1);
            self.ring[CONTEXT - 1] = c;
            self.len += 1;
        }
    }
    fn full(&self) -> bool {
        self.len >= CONTEXT
    }
    fn letters(&self) -> impl Iterator<Item = char> + '_ {
        self.ring
            .iter()
            .copied()
            .skip(CONTEXT - self.len.min(CONTEXT))
    }
}

/// (original, look-alike), sorted by the original: Latin letters and their Cyrillic twins,
/// Han characters and their Kangxi-radical, radical-supplement or compatibility twins.
const TWINS: [(char, char); 506] = [
    ('\u{0041}', '\u{0410}'),
    ('\u{0042}', '\u{0412}'),
    ('\u{0043}', '\u{0421}'),
    ('\u{0045}', '\u{0415}'),
    ('\u{0048}', '\u{041D}'),
    ('\u{0049}', '\u{0406}'),
    ('\u{004A}', '\u{0408}'),
    ('\u{004B}', '\u{041A}'),
    ('\u{004D}', '\u{041C}'),
    ('\u{004F}', '\u{041E}'),
    ('\u{0050}', '\u{0420}'),
    ('\u{0053}', '\u{0405}'),
    ('\u{0054}', '\u{0422}'),
    ('\u{0058}', '\u{0425}'),
    ('\u{0061}', '\u{0430}'),
    ('\u{0063}', '\u{0441}'),
    ('\u{0065}', '\u{0435}'),
    ('\u{0069}', '\u{0456}'),
    ('\u{006A}', '\u{0458}'),
    ('\u{006F}', '\u{043E}'),
    ('\u{0070}', '\u{0440}'),
    ('\u{0073}', '\u{0455}'),
    ('\u{0078}', '\u{0445}'),
    ('\u{0079}', '\u{0443}'),
    ('\u{4E00}', '\u{2F00}'),
    ('\u{4E0D}', '\u{F967}'),
    ('\u{4E28}', '\u{2F01}'),
    ('\u{4E32}', '\u{F905}'),
    ('\u{4E36}', '\u{2F02}'),
    ('\u{4E39}', '\u{F95E}'),
    ('\u{4E3F}', '\u{2F03}'),
    ('\u{4E59}', '\u{2F04}'),
    ('\u{4E82}', '\u{F91B}'),
    ('\u{4E85}', '\u{2F05}'),
    ('\u{4E86}', '\u{F9BA}'),
    ('\u{4E8C}', '\u{2F06}'),
    ('\u{4EA0}', '\u{2F07}'),
    ('\u{4EAE}', '\u{F977}'),
    ('\u{4EBA}', '\u{2F08}'),
    ('\u{4EC0}', '\u{F9FD}'),
    ('\u{4EE4}', '\u{F9A8}'),
    ('\u{4F86}', '\u{F92D}'),
    ('\u{4F8B}', '\u{F9B5}'),
    ('\u{4FBF}', '\u{F965}'),
    ('\u{502B}', '\u{F9D4}'),
    ('\u{50DA}', '\u{F9BB}'),
    ('\u{513F}', '\u{2F09}'),
    ('\u{5140}', '\u{FA0C}'),
    ('\u{5165}', '\u{2F0A}'),
    ('\u{5169}', '\u{F978}'),
    ('\u{516B}', '\u{2F0B}'),
    ('\u{516D}', '\u{F9D1}'),
    ('\u{5182}', '\u{2F0C}'),
    ('\u{5196}', '\u{2F0D}'),
    ('\u{51AB}', '\u{2F0E}'),
    ('\u{51B7}', '\u{F92E}'),
    ('\u{51C9}', '\u{F979}'),
    ('\u{51CC}', '\u{F955}'),
    ('\u{51DC}', '\u{F954}'),
    ('\u{51E0}', '\u{2F0F}'),
    ('\u{51F5}', '\u{2F10}'),
    ('\u{5200}', '\u{2F11}'),
    ('\u{5207}', '\u{FA00}'),
    ('\u{5217}', '\u{F99C}'),
    ('\u{5229}', '\u{F9DD}'),
    ('\u{523A}', '\u{F9FF}'),
    ('\u{5289}', '\u{F9C7}'),
    ('\u{529B}', '\u{2F12}'),
    ('\u{52A3}', '\u{F99D}'),
    ('\u{52D2}', '\u{F952}'),
    ('\u{52DE}', '\u{F92F}'),
    ('\u{52F5}', '\u{F97F}'),
    ('\u{52F9}', '\u{2F13}'),
    ('\u{5315}', '\u{2F14}'),
    ('\u{5317}', '\u{F963}'),
    ('\u{531A}', '\u{2F15}'),
    ('\u{5338}', '\u{2F16}'),
    ('\u{533F}', '\u{F9EB}'),
    ('\u{5341}', '\u{2F17}'),
    ('\u{535C}', '\u{2F18}'),
    ('\u{5364}', '\u{2EE7}'),
    ('\u{5369}', '\u{2F19}'),
    ('\u{5375}', '\u{F91C}'),
    ('\u{5382}', '\u{2F1A}'),
    ('\u{53B6}', '\u{2F1B}'),
    ('\u{53C3}', '\u{F96B}'),
    ('\u{53C8}', '\u{2F1C}'),
    ('\u{53E3}', '\u{2F1D}'),
    ('\u{53E5}', '\u{F906}'),
    ('\u{540F}', '\u{F9DE}'),
    ('\u{541D}', '\u{F9ED}'),
    ('\u{5442}', '\u{F980}'),
    ('\u{54BD}', '\u{F99E}'),
    ('\u{5587}', '\u{F90B}'),
    ('\u{55C0}', '\u{FA0D}'),
    ('\u{56D7}', '\u{2F1E}'),
    ('\u{56F9}', '\u{F9A9}'),
    ('\u{571F}', '\u{2F1F}'),
    ('\u{585E}', '\u{F96C}'),
    ('\u{58D8}', '\u{F94A}'),
    ('\u{58DF}', '\u{F942}'),
    ('\u{58EB}', '\u{2F20}'),
    ('\u{5902}', '\u{2F21}'),
    ('\u{590A}', '\u{2F22}'),
    ('\u{5915}', '\u{2F23}'),
    ('\u{5927}', '\u{2F24}'),
    ('\u{5948}', '\u{F90C}'),
    ('\u{5951}', '\u{F909}'),
    ('\u{5973}', '\u{2F25}'),
    ('\u{5B50}', '\u{2F26}'),
    ('\u{5B80}', '\u{2F27}'),
    ('\u{5B85}', '\u{FA04}'),
    ('\u{5BE7}', '\u{F95F}'),
    ('\u{5BEE}', '\u{F9BC}'),
    ('\u{5BF8}', '\u{2F28}'),
    ('\u{5C0F}', '\u{2F29}'),
    ('\u{5C22}', '\u{2F2A}'),
    ('\u{5C38}', '\u{2F2B}'),
    ('\u{5C3F}', '\u{F9BD}'),
    ('\u{5C62}', '\u{F94B}'),
    ('\u{5C65}', '\u{F9DF}'),
    ('\u{5C6E}', '\u{2F2C}'),
    ('\u{5C71}', '\u{2F2D}'),
    ('\u{5D19}', '\u{F9D5}'),
    ('\u{5D50}', '\u{F921}'),
    ('\u{5DBA}', '\u{F9AB}'),
    ('\u{5DDB}', '\u{2F2E}'),
    ('\u{5DE5}', '\u{2F2F}'),
    ('\u{5DF1}', '\u{2F30}'),
    ('\u{5DFE}', '\u{2F31}'),
    ('\u{5E72}', '\u{2F32}'),
    ('\u{5E74}', '\u{F98E}'),
    ('\u{5E7A}', '\u{2F33}'),
    ('\u{5E7F}', '\u{2F34}'),
    ('\u{5EA6}', '\u{FA01}'),
    ('\u{5EC9}', '\u{F9A2}'),
    ('\u{5ECA}', '\u{F928}'),
    ('\u{5ED3}', '\u{FA0B}'),
    ('\u{5EEC}', '\u{F982}'),
    ('\u{5EF4}', '\u{2F35}'),
    ('\u{5EFE}', '\u{2F36}'),
    ('\u{5F04}', '\u{F943}'),
    ('\u{5F0B}', '\u{2F37}'),
    ('\u{5F13}', '\u{2F38}'),
    ('\u{5F50}', '\u{2F39}'),
    ('\u{5F61}', '\u{2F3A}'),
    ('\u{5F73}', '\u{2F3B}'),
    ('\u{5F8B}', '\u{F9D8}'),
    ('\u{5FA9}', '\u{F966}'),
    ('\u{5FC3}', '\u{2F3C}'),
    ('\u{5FF5}', '\u{F9A3}'),
    ('\u{6012}', '\u{F960}'),
    ('\u{601C}', '\u{F9AC}'),
    ('\u{60E1}', '\u{F9B9}'),
    ('\u{6144}', '\u{F9D9}'),
    ('\u{6190}', '\u{F98F}'),
    ('\u{61F6}', '\u{F90D}'),
    ('\u{6200}', '\u{F990}'),
    ('\u{6208}', '\u{2F3D}'),
    ('\u{622E}', '\u{F9D2}'),
    ('\u{6236}', '\u{2F3E}'),
    ('\u{624B}', '\u{2F3F}'),
    ('\u{62C9}', '\u{F925}'),
    ('\u{62CF}', '\u{F95B}'),
    ('\u{62D3}', '\u{FA02}'),
    ('\u{62FE}', '\u{F973}'),
    ('\u{637B}', '\u{F9A4}'),
    ('\u{63A0}', '\u{F975}'),
    ('\u{649A}', '\u{F991}'),
    ('\u{64C4}', '\u{F930}'),
    ('\u{652F}', '\u{2F40}'),
    ('\u{6534}', '\u{2F41}'),
    ('\u{6578}', '\u{F969}'),
    ('\u{6587}', '\u{2F42}'),
    ('\u{6597}', '\u{2F43}'),
    ('\u{6599}', '\u{F9BE}'),
    ('\u{65A4}', '\u{2F44}'),
    ('\u{65B9}', '\u{2F45}'),
    ('\u{65C5}', '\u{F983}'),
    ('\u{65E0}', '\u{2F46}'),
    ('\u{65E5}', '\u{2F47}'),
    ('\u{6613}', '\u{F9E0}'),
    ('\u{6688}', '\u{F9C5}'),
    ('\u{66B4}', '\u{FA06}'),
    ('\u{66C6}', '\u{F98B}'),
    ('\u{66F0}', '\u{2F48}'),
    ('\u{66F4}', '\u{F901}'),
    ('\u{6708}', '\u{2F49}'),
    ('\u{6717}', '\u{F929}'),
    ('\u{6728}', '\u{2F4A}'),
    ('\u{674E}', '\u{F9E1}'),
    ('\u{677B}', '\u{F9C8}'),
    ('\u{6797}', '\u{F9F4}'),
    ('\u{67F3}', '\u{F9C9}'),
    ('\u{6817}', '\u{F9DA}'),
    ('\u{6881}', '\u{F97A}'),
    ('\u{68A8}', '\u{F9E2}'),
    ('\u{6A02}', '\u{F914}'),
    ('\u{6A13}', '\u{F94C}'),
    ('\u{6AD3}', '\u{F931}'),
    ('\u{6B04}', '\u{F91D}'),
    ('\u{6B20}', '\u{2F4B}'),
    ('\u{6B62}', '\u{2F4C}'),
    ('\u{6B77}', '\u{F98C}'),
    ('\u{6B79}', '\u{2F4D}'),
    ('\u{6BAE}', '\u{F9A5}'),
    ('\u{6BB3}', '\u{2F4E}'),
    ('\u{6BBA}', '\u{F970}'),
    ('\u{6BCB}', '\u{2F4F}'),
    ('\u{6BD4}', '\u{2F50}'),
    ('\u{6BDB}', '\u{2F51}'),
    ('\u{6C0F}', '\u{2F52}'),
    ('\u{6C14}', '\u{2F53}'),
    ('\u{6C34}', '\u{2F54}'),
    ('\u{6C88}', '\u{F972}'),
    ('\u{6CCC}', '\u{F968}'),
    ('\u{6CE5}', '\u{F9E3}'),
    ('\u{6D1B}', '\u{F915}'),
    ('\u{6D1E}', '\u{FA05}'),
    ('\u{6D41}', '\u{F9CA}'),
    ('\u{6D6A}', '\u{F92A}'),
    ('\u{6DCB}', '\u{F9F5}'),
    ('\u{6DDA}', '\u{F94D}'),
    ('\u{6DEA}', '\u{F9D6}'),
    ('\u{6E9C}', '\u{F9CB}'),
    ('\u{6EBA}', '\u{F9EC}'),
    ('\u{6ED1}', '\u{F904}'),
    ('\u{6F0F}', '\u{F94E}'),
    ('\u{6F23}', '\u{F992}'),
    ('\u{6FEB}', '\u{F922}'),
    ('\u{6FFE}', '\u{F984}'),
    ('\u{706B}', '\u{2F55}'),
    ('\u{7099}', '\u{F9FB}'),
    ('\u{70C8}', '\u{F99F}'),
    ('\u{70D9}', '\u{F916}'),
    ('\u{7149}', '\u{F993}'),
    ('\u{71CE}', '\u{F9C0}'),
    ('\u{71D0}', '\u{F9EE}'),
    ('\u{7210}', '\u{F932}'),
    ('\u{721B}', '\u{F91E}'),
    ('\u{722A}', '\u{2F56}'),
    ('\u{7236}', '\u{2F57}'),
    ('\u{723B}', '\u{2F58}'),
    ('\u{723F}', '\u{2F59}'),
    ('\u{7247}', '\u{2F5A}'),
    ('\u{7259}', '\u{2F5B}'),
    ('\u{725B}', '\u{2F5C}'),
    ('\u{7262}', '\u{F946}'),
    ('\u{72AC}', '\u{2F5D}'),
    ('\u{72C0}', '\u{F9FA}'),
    ('\u{72FC}', '\u{F92B}'),
    ('\u{7375}', '\u{F9A7}'),
    ('\u{7384}', '\u{2F5E}'),
    ('\u{7387}', '\u{F961}'),
    ('\u{7389}', '\u{2F5F}'),
    ('\u{73B2}', '\u{F9AD}'),
    ('\u{73DE}', '\u{F917}'),
    ('\u{7406}', '\u{F9E4}'),
    ('\u{7409}', '\u{F9CC}'),
    ('\u{7469}', '\u{F9AE}'),
    ('\u{7489}', '\u{F994}'),
    ('\u{7498}', '\u{F9EF}'),
    ('\u{74DC}', '\u{2F60}'),
    ('\u{74E6}', '\u{2F61}'),
    ('\u{7518}', '\u{2F62}'),
    ('\u{751F}', '\u{2F63}'),
    ('\u{7528}', '\u{2F64}'),
    ('\u{7530}', '\u{2F65}'),
    ('\u{7559}', '\u{F9CD}'),
    ('\u{7565}', '\u{F976}'),
    ('\u{7570}', '\u{F962}'),
    ('\u{758B}', '\u{2F66}'),
    ('\u{7592}', '\u{2F67}'),
    ('\u{75E2}', '\u{F9E5}'),
    ('\u{7642}', '\u{F9C1}'),
    ('\u{7669}', '\u{F90E}'),
    ('\u{7676}', '\u{2F68}'),
    ('\u{767D}', '\u{2F69}'),
    ('\u{76AE}', '\u{2F6A}'),
    ('\u{76BF}', '\u{2F6B}'),
    ('\u{76E7}', '\u{F933}'),
    ('\u{76EE}', '\u{2F6C}'),
    ('\u{7701}', '\u{F96D}'),
    ('\u{77DB}', '\u{2F6D}'),
    ('\u{77E2}', '\u{2F6E}'),
    ('\u{77F3}', '\u{2F6F}'),
    ('\u{786B}', '\u{F9CE}'),
    ('\u{788C}', '\u{F93B}'),
    ('\u{78CA}', '\u{F947}'),
    ('\u{78FB}', '\u{F964}'),
    ('\u{792A}', '\u{F985}'),
    ('\u{793A}', '\u{2F70}'),
    ('\u{797F}', '\u{F93C}'),
    ('\u{79AE}', '\u{F9B6}'),
    ('\u{79B8}', '\u{2F71}'),
    ('\u{79BE}', '\u{2F72}'),
    ('\u{79CA}', '\u{F995}'),
    ('\u{7A1C}', '\u{F956}'),
    ('\u{7A74}', '\u{2F73}'),
    ('\u{7ACB}', '\u{2F74}'),
    ('\u{7AF9}', '\u{2F75}'),
    ('\u{7B20}', '\u{F9F8}'),
    ('\u{7C3E}', '\u{F9A6}'),
    ('\u{7C60}', '\u{F944}'),
    ('\u{7C73}', '\u{2F76}'),
    ('\u{7C92}', '\u{F9F9}'),
    ('\u{7CD6}', '\u{FA03}'),
    ('\u{7CE7}', '\u{F97B}'),
    ('\u{7CF8}', '\u{2F77}'),
    ('\u{7D10}', '\u{F9CF}'),
    ('\u{7D22}', '\u{F96A}'),
    ('\u{7D2F}', '\u{F94F}'),
    ('\u{7DA0}', '\u{F93D}'),
    ('\u{7DBE}', '\u{F957}'),
    ('\u{7DF4}', '\u{F996}'),
    ('\u{7E37}', '\u{F950}'),
    ('\u{7F36}', '\u{2F78}'),
    ('\u{7F51}', '\u{2F79}'),
    ('\u{7F79}', '\u{F9E6}'),
    ('\u{7F85}', '\u{F90F}'),
    ('\u{7F8A}', '\u{2F7A}'),
    ('\u{7F9A}', '\u{F9AF}'),
    ('\u{7FBD}', '\u{2F7B}'),
    ('\u{8001}', '\u{2F7C}'),
    ('\u{800C}', '\u{2F7D}'),
    ('\u{8012}', '\u{2F7E}'),
    ('\u{8033}', '\u{2F7F}'),
    ('\u{8046}', '\u{F9B0}'),
    ('\u{806F}', '\u{F997}'),
    ('\u{807E}', '\u{F945}'),
    ('\u{807F}', '\u{2F80}'),
    ('\u{8089}', '\u{2F81}'),
    ('\u{808B}', '\u{F953}'),
    ('\u{81D8}', '\u{F926}'),
    ('\u{81E3}', '\u{2F82}'),
    ('\u{81E8}', '\u{F9F6}'),
    ('\u{81EA}', '\u{2F83}'),
    ('\u{81F3}', '\u{2F84}'),
    ('\u{81FC}', '\u{2F85}'),
    ('\u{820C}', '\u{2F86}'),
    ('\u{821B}', '\u{2F87}'),
    ('\u{821F}', '\u{2F88}'),
    ('\u{826E}', '\u{2F89}'),
    ('\u{826F}', '\u{F97C}'),
    ('\u{8272}', '\u{2F8A}'),
    ('\u{8278}', '\u{2F8B}'),
    ('\u{82E5}', '\u{F974}'),
    ('\u{8336}', '\u{F9FE}'),
    ('\u{83C9}', '\u{F93E}'),
    ('\u{83F1}', '\u{F958}'),
    ('\u{843D}', '\u{F918}'),
    ('\u{8449}', '\u{F96E}'),
    ('\u{84EE}', '\u{F999}'),
    ('\u{84FC}', '\u{F9C2}'),
    ('\u{85CD}', '\u{F923}'),
    ('\u{85FA}', '\u{F9F0}'),
    ('\u{8606}', '\u{F935}'),
    ('\u{862D}', '\u{F91F}'),
    ('\u{863F}', '\u{F910}'),
    ('\u{864D}', '\u{2F8C}'),
    ('\u{865C}', '\u{F936}'),
    ('\u{866B}', '\u{2F8D}'),
    ('\u{87BA}', '\u{F911}'),
    ('\u{881F}', '\u{F927}'),
    ('\u{8840}', '\u{2F8E}'),
    ('\u{884C}', '\u{2F8F}'),
    ('\u{8863}', '\u{2F90}'),
    ('\u{88C2}', '\u{F9A0}'),
    ('\u{88CF}', '\u{F9E7}'),
    ('\u{88E1}', '\u{F9E8}'),
    ('\u{88F8}', '\u{F912}'),
    ('\u{8964}', '\u{F924}'),
    ('\u{897E}', '\u{2F91}'),
    ('\u{898B}', '\u{2F92}'),
    ('\u{89C1}', '\u{2EC5}'),
    ('\u{89D2}', '\u{2F93}'),
    ('\u{8A00}', '\u{2F94}'),
    ('\u{8AAA}', '\u{F96F}'),
    ('\u{8AD2}', '\u{F97D}'),
    ('\u{8AD6}', '\u{F941}'),
    ('\u{8AFE}', '\u{F95D}'),
    ('\u{8B58}', '\u{F9FC}'),
    ('\u{8B80}', '\u{F95A}'),
    ('\u{8C37}', '\u{2F95}'),
    ('\u{8C46}', '\u{2F96}'),
    ('\u{8C48}', '\u{F900}'),
    ('\u{8C55}', '\u{2F97}'),
    ('\u{8C78}', '\u{2F98}'),
    ('\u{8C9D}', '\u{2F99}'),
    ('\u{8CC2}', '\u{F948}'),
    ('\u{8CC8}', '\u{F903}'),
    ('\u{8D1D}', '\u{2EC9}'),
    ('\u{8D64}', '\u{2F9A}'),
    ('\u{8D70}', '\u{2F9B}'),
    ('\u{8DB3}', '\u{2F9C}'),
    ('\u{8DEF}', '\u{F937}'),
    ('\u{8EAB}', '\u{2F9D}'),
    ('\u{8ECA}', '\u{2F9E}'),
    ('\u{8F26}', '\u{F998}'),
    ('\u{8F2A}', '\u{F9D7}'),
    ('\u{8F3B}', '\u{FA07}'),
    ('\u{8F62}', '\u{F98D}'),
    ('\u{8F66}', '\u{2ECB}'),
    ('\u{8F9B}', '\u{2F9F}'),
    ('\u{8FB0}', '\u{2FA0}'),
    ('\u{8FB5}', '\u{2FA1}'),
    ('\u{9023}', '\u{F99A}'),
    ('\u{907C}', '\u{F9C3}'),
    ('\u{908F}', '\u{F913}'),
    ('\u{9091}', '\u{2FA2}'),
    ('\u{90CE}', '\u{F92C}'),
    ('\u{9149}', '\u{2FA3}'),
    ('\u{916A}', '\u{F919}'),
    ('\u{91B4}', '\u{F9B7}'),
    ('\u{91C6}', '\u{2FA4}'),
    ('\u{91CC}', '\u{2FA5}'),
    ('\u{91CF}', '\u{F97E}'),
    ('\u{91D1}', '\u{2FA6}'),
    ('\u{9234}', '\u{F9B1}'),
    ('\u{9304}', '\u{F93F}'),
    ('\u{934A}', '\u{F99B}'),
    ('\u{9577}', '\u{2FA7}'),
    ('\u{957F}', '\u{2ED3}'),
    ('\u{9580}', '\u{2FA8}'),
    ('\u{95AD}', '\u{F986}'),
    ('\u{95E8}', '\u{2ED4}'),
    ('\u{961C}', '\u{2FA9}'),
    ('\u{962E}', '\u{F9C6}'),
    ('\u{964B}', '\u{F951}'),
    ('\u{964D}', '\u{FA09}'),
    ('\u{9675}', '\u{F959}'),
    ('\u{9678}', '\u{F9D3}'),
    ('\u{9686}', '\u{F9DC}'),
    ('\u{96A3}', '\u{F9F1}'),
    ('\u{96B6}', '\u{2FAA}'),
    ('\u{96B8}', '\u{F9B8}'),
    ('\u{96B9}', '\u{2FAB}'),
    ('\u{96E2}', '\u{F9EA}'),
    ('\u{96E8}', '\u{2FAC}'),
    ('\u{96F6}', '\u{F9B2}'),
    ('\u{96F7}', '\u{F949}'),
    ('\u{9732}', '\u{F938}'),
    ('\u{9748}', '\u{F9B3}'),
    ('\u{9751}', '\u{2FAD}'),
    ('\u{975E}', '\u{2FAE}'),
    ('\u{9762}', '\u{2FAF}'),
    ('\u{9769}', '\u{2FB0}'),
    ('\u{97CB}', '\u{2FB1}'),
    ('\u{97E6}', '\u{2ED9}'),
    ('\u{97ED}', '\u{2FB2}'),
    ('\u{97F3}', '\u{2FB3}'),
    ('\u{9801}', '\u{2FB4}'),
    ('\u{9818}', '\u{F9B4}'),
    ('\u{985E}', '\u{F9D0}'),
    ('\u{9875}', '\u{2EDA}'),
    ('\u{98A8}', '\u{2FB5}'),
    ('\u{98CE}', '\u{2EDB}'),
    ('\u{98DB}', '\u{2FB6}'),
    ('\u{98DE}', '\u{2EDC}'),
    ('\u{98DF}', '\u{2FB7}'),
    ('\u{9996}', '\u{2FB8}'),
    ('\u{9999}', '\u{2FB9}'),
    ('\u{99AC}', '\u{2FBA}'),
    ('\u{99F1}', '\u{F91A}'),
    ('\u{9A6A}', '\u{F987}'),
    ('\u{9A6C}', '\u{2EE2}'),
    ('\u{9AA8}', '\u{2FBB}'),
    ('\u{9AD8}', '\u{2FBC}'),
    ('\u{9ADF}', '\u{2FBD}'),
    ('\u{9B25}', '\u{2FBE}'),
    ('\u{9B2F}', '\u{2FBF}'),
    ('\u{9B32}', '\u{2FC0}'),
    ('\u{9B3C}', '\u{2FC1}'),
    ('\u{9B5A}', '\u{2FC2}'),
    ('\u{9B6F}', '\u{F939}'),
    ('\u{9C57}', '\u{F9F2}'),
    ('\u{9C7C}', '\u{2EE5}'),
    ('\u{9CE5}', '\u{2FC3}'),
    ('\u{9DFA}', '\u{F93A}'),
    ('\u{9E1E}', '\u{F920}'),
    ('\u{9E1F}', '\u{2EE6}'),
    ('\u{9E75}', '\u{2FC4}'),
    ('\u{9E7F}', '\u{2FC5}'),
    ('\u{9E97}', '\u{F988}'),
    ('\u{9E9F}', '\u{F9F3}'),
    ('\u{9EA5}', '\u{2FC6}'),
    ('\u{9EBB}', '\u{2FC7}'),
    ('\u{9EC3}', '\u{2FC8}'),
    ('\u{9ECD}', '\u{2FC9}'),
    ('\u{9ECE}', '\u{F989}'),
    ('\u{9ED1}', '\u{2FCA}'),
    ('\u{9EF9}', '\u{2FCB}'),
    ('\u{9EFD}', '\u{2FCC}'),
    ('\u{9F0E}', '\u{2FCD}'),
    ('\u{9F13}', '\u{2FCE}'),
    ('\u{9F20}', '\u{2FCF}'),
    ('\u{9F3B}', '\u{2FD0}'),
    ('\u{9F4A}', '\u{2FD1}'),
    ('\u{9F50}', '\u{2EEC}'),
    ('\u{9F52}', '\u{2FD2}'),
    ('\u{9F7F}', '\u{2EEE}'),
    ('\u{9F8D}', '\u{2FD3}'),
    ('\u{9F99}', '\u{2EF0}'),
    ('\u{9F9C}', '\u{2FD4}'),
    ('\u{9F9F}', '\u{2EF3}'),
    ('\u{9FA0}', '\u{2FD5}'),
];

/// The look-alike twin of an original character.
pub fn twin(c: char) -> Option<char> {
    TWINS
        .binary_search_by_key(&c, |(o, _)| *o)
        .ok()
        .map(|i| TWINS[i].1)
}

/// The original of a character: itself unless it is a twin.
pub fn original(c: char) -> char {
    static BACK: OnceLock<HashMap<char, char>> = OnceLock::new();
    let back = BACK.get_or_init(|| TWINS.iter().map(|(o, t)| (*t, *o)).collect());
    back.get(&c).copied().unwrap_or(c)
}

/// A marked copy read back as the text it was made from: twins as their originals, the
/// zero-width tag gone.
pub fn unmarked(text: &str) -> String {
    text.chars()
        .filter(|c| !invisible(*c))
        .map(original)
        .collect()
}

/// Characters a copy may lose without changing what it says: zero-width ones and the joiner.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Writes `text` (Markdown) as the copy of the delivery with `seed`. Only what a reader sees as
/// text is marked: link targets, autolinks and HTML, entities, web addresses and e-mail
/// addresses, and code are kept as they are, so the Markdown renders the same. The zero-width
/// tag follows the first sentence's end.
pub fn mark(text: &str, seed: Seed) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 2 + 40);
    let mut ctx = Context::default();
    let mut tagged = false;
    let mut in_code = false;
    let mut i = 0;
    let mut word_start = true;
    while i < chars.len() {
        let c = chars[i];
        // Stretches kept verbatim: a link's target, an autolink or tag, an entity.
        let verbatim_end = if in_code {
            None
        } else if c == ']' && chars.get(i + 1) == Some(&'(') {
            closing(&chars, i + 1, ')').map(|e| (e, false))
        } else if c == '<' {
            closing(&chars, i, '>').map(|e| (e, false))
        } else if c == '&' {
            entity_end(&chars, i).map(|e| (e, false))
        } else if word_start && !c.is_whitespace() && address_like(&chars, i) {
            // A web or e-mail address is seen, so it is context, but never changed.
            Some((word_end(&chars, i), true))
        } else {
            None
        };
        if let Some((end, visible)) = verbatim_end {
            for &x in &chars[i..end] {
                out.push(x);
                if visible {
                    ctx.push(original(x));
                }
            }
            word_start = false;
            i = end;
            continue;
        }
        word_start = c.is_whitespace() || matches!(c, '(' | '[' | '*' | '_');
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            i += 1;
            continue;
        }
        let o = original(c);
        match twin(o) {
            Some(t) if !in_code => out.push(if seed.bit(key(&ctx, o)) { t } else { o }),
            _ => out.push(c),
        }
        ctx.push(o);
        if !tagged && !in_code && matches!(c, '。' | '！' | '？' | '.' | '!' | '?') {
            let next = chars.get(i + 1).copied();
            if next.is_none_or(|n| n.is_whitespace() || !n.is_ascii_punctuation()) {
                push_tag(&mut out, seed);
                tagged = true;
            }
        }
        i += 1;
    }
    if !tagged {
        push_tag(&mut out, seed);
    }
    out
}

fn push_tag(out: &mut String, seed: Seed) {
    out.push(ZW_JOIN);
    let tag = seed.tag();
    for b in (0..32).rev() {
        out.push(if (tag >> b) & 1 == 1 { ZW1 } else { ZW0 });
    }
    out.push(ZW_JOIN);
}

/// The index just past the `close` that ends the stretch opened at `open`, on the same line and
/// within 400 characters.
fn closing(chars: &[char], open: usize, close: char) -> Option<usize> {
    chars
        .iter()
        .enumerate()
        .skip(open + 1)
        .take(400)
        .take_while(|(_, c)| **c != '\n')
        .find(|(_, c)| **c == close)
        .map(|(j, _)| j + 1)
}

/// `&amp;`, `&#123;`, `&#x1F;`: the index past the `;`.
fn entity_end(chars: &[char], at: usize) -> Option<usize> {
    let mut j = at + 1;
    while j < chars.len() && j - at <= 10 {
        match chars[j] {
            ';' if j > at + 1 => return Some(j + 1),
            c if c.is_ascii_alphanumeric() || c == '#' => j += 1,
            _ => return None,
        }
    }
    None
}

fn word_end(chars: &[char], at: usize) -> usize {
    chars[at..]
        .iter()
        .position(|c| c.is_whitespace())
        .map_or(chars.len(), |p| at + p)
}

/// A word that is a web address or an e-mail address.
fn address_like(chars: &[char], at: usize) -> bool {
    let word: String = chars[at..word_end(chars, at)].iter().collect();
    word.contains("://") || word.starts_with("www.") || word.contains('@')
}

/// What a leaked text holds of the marks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leak {
    /// Each slot's key and whether the twin was shown.
    pub slots: Vec<(u64, bool)>,
    /// The zero-width tag, when the copy kept one.
    pub tag: Option<u32>,
}

/// Reads a leaked text: its slots (twin-able characters with [`CONTEXT`] letters before them)
/// and any zero-width tag. Whitespace and invisible characters are skipped, so stripping or
/// re-spacing them changes nothing.
pub fn read(text: &str) -> Leak {
    let mut leak = Leak {
        tag: read_tag(text),
        ..Default::default()
    };
    let mut ctx = Context::default();
    for c in text.chars() {
        if c.is_whitespace() || invisible(c) {
            continue;
        }
        let o = original(c);
        if twin(o).is_some() && ctx.full() {
            leak.slots.push((key(&ctx, o), c != o));
        }
        ctx.push(o);
    }
    leak
}

fn read_tag(text: &str) -> Option<u32> {
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if c != ZW_JOIN {
            continue;
        }
        let mut tag = 0u32;
        let mut n = 0;
        while let Some(&b) = it.peek() {
            match b {
                ZW0 | ZW1 => {
                    tag = (tag << 1) | u32::from(b == ZW1);
                    n += 1;
                    it.next();
                }
                _ => break,
            }
        }
        if n == 32 && it.peek() == Some(&ZW_JOIN) {
            return Some(tag);
        }
    }
    None
}

/// How well a seed explains a leak: slots it explains, of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    pub explained: u32,
    pub slots: u32,
    /// The zero-width tag was this seed's.
    pub tagged: bool,
}

impl Fit {
    /// 0 to 1: the tag names it outright; else the share of slots explained.
    pub fn score(&self) -> f64 {
        if self.tagged {
            1.0
        } else if self.slots == 0 {
            0.0
        } else {
            f64::from(self.explained) / f64::from(self.slots)
        }
    }

    /// How sure a match is among `candidates` seeds: one less the expected number of random
    /// seeds that would explain as many slots (a binomial tail at one half), at least 0.
    pub fn confidence(&self, candidates: usize) -> f64 {
        if self.tagged {
            return 1.0;
        }
        let tail = binomial_tail_half(self.slots, self.explained);
        (1.0 - tail * candidates.max(1) as f64).clamp(0.0, 1.0)
    }
}

/// P(X >= k) for X ~ Binomial(n, 1/2).
fn binomial_tail_half(n: u32, k: u32) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // Sum of C(n, i) / 2^n for i in k..=n, in logs to stay finite for long texts.
    let ln_choose = |n: u32, i: u32| -> f64 {
        (1..=i)
            .map(|j| f64::from(n - i + j).ln() - f64::from(j).ln())
            .sum()
    };
    let ln_half_n = f64::from(n) * 0.5f64.ln();
    (k..=n)
        .map(|i| (ln_choose(n, i) + ln_half_n).exp())
        .sum::<f64>()
        .min(1.0)
}

/// Scores one seed against a leak.
pub fn fit(leak: &Leak, seed: Seed) -> Fit {
    let explained = leak
        .slots
        .iter()
        .filter(|(k, shown)| seed.bit(*k) == *shown)
        .count();
    Fit {
        explained: u32::try_from(explained).unwrap_or(u32::MAX),
        slots: u32::try_from(leak.slots.len()).unwrap_or(u32::MAX),
        tagged: leak.tag.is_some_and(|t| t == seed.tag()),
    }
}

/// The letters of a text in their original forms, four at a time, hashed: what two texts share
/// tells whether one is taken from the other whatever its marks, spacing or punctuation.
pub fn shingles(text: &str) -> std::collections::HashSet<u64> {
    let mut ctx = Context::default();
    let mut out = std::collections::HashSet::new();
    for c in text.chars() {
        let o = original(c);
        if !o.is_alphanumeric() {
            continue;
        }
        ctx.push(o.to_lowercase().next().unwrap_or(o));
        if ctx.full() {
            out.insert(ctx.letters().fold(0u64, |h, x| mix(h ^ x as u64)));
        }
    }
    out
}

/// The share of a leak's shingles found in a message's: 1 when all of it is taken from it.
pub fn overlap(
    leak: &std::collections::HashSet<u64>,
    text: &std::collections::HashSet<u64>,
) -> f64 {
    if leak.is_empty() {
        return 0.0;
    }
    leak.intersection(text).count() as f64 / leak.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTICE: &str = "各位合作伙伴：自2027年1月1日起，华东区一级经销商的结算价下调3%，返利方案同步调整。\
        本方案仅限签署保密协议的合作伙伴知悉，请勿外传。新的月度目标与季度激励将于下周一的经销商大会上公布，\
        请各位负责人准时出席。Product pricing for the VF220 series stays confidential until the public launch. \
        如有疑问，请联系渠道管理部的刘经理。我们将在月底前完成系统切换，届时请使用新的价格表下单。";

    fn strip(s: &str) -> String {
        unmarked(s)
    }

    /// The middle three sentences of a copy, as a leak would be retyped into a chat: zero-width
    /// characters gone, whitespace runs made one space.
    fn middle_three(copy: &str) -> String {
        let visible: String = copy.chars().filter(|c| !invisible(*c)).collect();
        let sentences: Vec<&str> = visible.split_inclusive(['。', '.']).collect();
        let mid = sentences.len() / 2;
        let s = sentences[mid - 1..=mid + 1].concat();
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_marked_copy_reads_as_the_original() {
        let copy = mark(NOTICE, Seed(42));
        assert_ne!(copy, NOTICE, "marks were written");
        assert_eq!(strip(&copy), NOTICE);
    }

    #[test]
    fn links_code_entities_and_addresses_are_kept_as_they_are() {
        let md = "See [the price list](https://example.com/price?a=1) and <https://x.example/y> \
                  or write to sales@example.com, www.example.com; `code a e o` &amp; more text here.";
        for s in 0..50 {
            let copy = mark(md, Seed(s));
            for kept in [
                "(https://example.com/price?a=1)",
                "<https://x.example/y>",
                "sales@example.com,",
                "www.example.com;",
                "`code a e o`",
                "&amp;",
            ] {
                assert!(copy.contains(kept), "{kept} changed in {copy}");
            }
        }
    }

    /// §7.3, issue 15: 200 recipients each get a distinct mark, and the middle three sentences
    /// of any one copy, stripped of zero-width characters and re-spaced, name it first.
    #[test]
    fn two_hundred_copies_differ_and_a_stripped_excerpt_names_its_recipient_first() {
        let seeds: Vec<Seed> = (0..200u64).map(|i| Seed(mix(i + 1000))).collect();
        let copies: Vec<String> = seeds.iter().map(|s| mark(NOTICE, *s)).collect();
        let distinct: std::collections::HashSet<&String> = copies.iter().collect();
        assert_eq!(distinct.len(), 200);
        for (i, copy) in copies.iter().enumerate() {
            let excerpt = middle_three(copy);
            let leak = read(&excerpt);
            assert_eq!(leak.tag, None, "the tag was stripped");
            assert!(leak.slots.len() >= 20, "{} slots", leak.slots.len());
            let mut ranked: Vec<(usize, f64)> = seeds
                .iter()
                .enumerate()
                .map(|(j, s)| (j, fit(&leak, *s).score()))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            assert_eq!(ranked[0].0, i, "copy {i}: {:?}", &ranked[..3]);
            assert!(ranked[0].1 > ranked[1].1, "copy {i} is not tied");
            assert!(fit(&leak, seeds[i]).confidence(200) > 0.9);
        }
    }

    #[test]
    fn a_copy_that_kept_its_zero_width_tag_is_named_outright() {
        let copy = mark(NOTICE, Seed(0xDEAD_BEEF_0000_0001));
        let leak = read(&copy);
        assert_eq!(leak.tag, Some(0xDEAD_BEEF));
        assert!(fit(&leak, Seed(0xDEAD_BEEF_0000_0001)).tagged);
        assert_eq!(fit(&leak, Seed(0xDEAD_BEEF_0000_0001)).score(), 1.0);
    }

    #[test]
    fn an_unmarked_text_explains_about_half_and_is_not_confident() {
        let leak = read(NOTICE);
        let f = fit(&leak, Seed(7));
        assert!(f.slots > 40);
        let share = f.score();
        assert!((0.25..0.75).contains(&share), "{share}");
        assert!(f.confidence(200) < 0.5);
    }

    #[test]
    fn shingles_find_the_source_whatever_the_marks() {
        let copy = middle_three(&mark(NOTICE, Seed(9)));
        let other = shingles("本季度渠道大会的议程与酒店安排已发送到各位邮箱，请查收。");
        let source = shingles(NOTICE);
        assert!(overlap(&shingles(&copy), &source) > 0.95);
        assert!(overlap(&other, &source) < 0.3);
    }

    #[test]
    fn the_twin_table_is_sorted_and_each_twin_is_new() {
        assert!(TWINS.windows(2).all(|w| w[0].0 < w[1].0));
        for (o, t) in TWINS {
            assert_ne!(o, t);
            assert_eq!(original(t), o);
            assert!(o.is_alphanumeric());
        }
    }
}
