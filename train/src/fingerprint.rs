//! A hash of a run's inputs, telling one run's checkpoint from another's.

/// FNV-1a over 64-bit words: a hash that is the same in every build (std's is not
/// promised), for telling one run's inputs from another's.
#[derive(Debug, Clone)]
pub(crate) struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.word(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.word(b as u64);
        }
        self
    }

    pub(crate) fn floats(&mut self, values: &[f32]) -> &mut Self {
        self.word(values.len() as u64);
        for pair in values.chunks(2) {
            let lo = pair[0].to_bits() as u64;
            let hi = pair.get(1).map_or(0, |v| v.to_bits() as u64);
            self.word(lo | hi << 32);
        }
        self
    }

    pub(crate) fn word(&mut self, w: u64) -> &mut Self {
        self.0 = (self.0 ^ w).wrapping_mul(0x100_0000_01b3);
        self
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_inputs_apart() {
        let a = Fingerprint::default().floats(&[1.0, 2.0]).finish();
        assert_ne!(a, Fingerprint::default().floats(&[2.0, 1.0]).finish());
        assert_ne!(a, Fingerprint::default().floats(&[1.0, 2.0, 0.0]).finish());
        assert_ne!(
            Fingerprint::default().bytes(b"ab").bytes(b"c").finish(),
            Fingerprint::default().bytes(b"a").bytes(b"bc").finish()
        );
    }
}
