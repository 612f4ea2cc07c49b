//! What words cost: 1 credit per 100 words at 1x, scaled by a per-model multiplier.
//!
//! Input (what the caller supplies) is priced the same way at the model's input rate, on
//! the billable words beyond a free allowance per generation: [`input_cost_mc`].

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Millicredits;

/// A cost multiplier in per-mille: 1000 = 1x, 1500 = 1.5x. Integers, so pricing is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Multiplier(u32);

/// Millicredits per word at 1x: 1 credit (1000 mc) per 100 words.
pub const MC_PER_WORD: i64 = 10;
/// A multiplier above 100x is a configuration mistake.
pub const MAX_PER_MILLE: u32 = 100_000;

impl Multiplier {
    pub const ONE: Self = Self(1000);

    pub fn per_mille(value: u32) -> Result<Self, String> {
        if value == 0 || value > MAX_PER_MILLE {
            return Err(format!(
                "a multiplier must be 1..={MAX_PER_MILLE} per mille, not {value}"
            ));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// `ceil(words * 10 * m / 1000)` millicredits. Rounds up so a partial unit is never free;
/// saturates instead of overflowing (no real text gets near).
pub fn cost_mc(words: u64, multiplier: Multiplier) -> Millicredits {
    let numerator = u128::from(words) * MC_PER_WORD as u128 * u128::from(multiplier.0);
    let cost = numerator.div_ceil(1000);
    Millicredits::new(i64::try_from(cost).unwrap_or(i64::MAX))
}

/// What a generation's input costs: the billable words beyond `free_words`, at the input
/// rate. Input within the allowance is free; past it, every word is priced like output.
pub fn input_cost_mc(input_words: u64, free_words: u64, rate: Multiplier) -> Millicredits {
    cost_mc(input_words.saturating_sub(free_words), rate)
}

/// A model's input rate when its catalog entry names none: a quarter of its output
/// multiplier, rounded up (so never zero).
pub fn default_input_multiplier(output: Multiplier) -> Multiplier {
    Multiplier(output.0.div_ceil(4))
}

/// The most words a budget pays for at a multiplier (the inverse of [`cost_mc`]).
pub fn words_affordable(budget: Millicredits, multiplier: Multiplier) -> u64 {
    let Ok(budget) = u128::try_from(budget.get()) else {
        return 0;
    };
    let per_word_x1000 = MC_PER_WORD as u128 * u128::from(multiplier.0);
    u64::try_from(budget * 1000 / per_word_x1000).unwrap_or(u64::MAX)
}

/// What a generation's words cost: credits at the model's output and input rates, the
/// own-key fee, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    /// The output rate; `None`: output is free.
    output: Option<Multiplier>,
    /// The input rate; `None`: input is free.
    input: Option<Multiplier>,
}

impl Price {
    /// A model's own rates.
    pub fn at(output: Multiplier, input: Multiplier) -> Self {
        Self {
            output: Some(output),
            input: Some(input),
        }
    }

    /// `fee_per_mille` of this price, each rate rounded up (0 makes it free): what a
    /// generation with the user's own provider key costs.
    pub fn with_fee(self, fee_per_mille: u32) -> Self {
        let scaled = |rate: Option<Multiplier>| {
            let scaled = u64::from(rate?.get()) * u64::from(fee_per_mille);
            let per_mille = u32::try_from(scaled.div_ceil(1000)).unwrap_or(u32::MAX);
            Multiplier::per_mille(per_mille).ok()
        };
        Self {
            output: scaled(self.output),
            input: scaled(self.input),
        }
    }

    /// What `words` billable words of output cost.
    pub fn cost(self, words: u64) -> Millicredits {
        self.output
            .map_or(Millicredits::ZERO, |rate| cost_mc(words, rate))
    }

    /// What `input_words` billable words of input cost with `free_words` of them free.
    pub fn input_cost(self, input_words: u64, free_words: u64) -> Millicredits {
        self.input.map_or(Millicredits::ZERO, |rate| {
            input_cost_mc(input_words, free_words, rate)
        })
    }

    /// The most words of output `available` pays for.
    pub fn affordable(self, available: Millicredits) -> u64 {
        self.output
            .map_or(u64::MAX, |rate| words_affordable(available, rate))
    }
}

/// Who paid for a generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BilledTo {
    /// The user's credits, at the model's rates.
    Credits,
    /// The user's own provider key paid the provider (credits pay only the own-key fee).
    OwnKey,
}

impl BilledTo {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credits => "credits",
            Self::OwnKey => "own_key",
        }
    }
}

impl FromStr for BilledTo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Credits, Self::OwnKey]
            .into_iter()
            .find(|payer| payer.as_str() == s)
            .ok_or_else(|| format!("unknown payer `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(per_mille: u32) -> Multiplier {
        Multiplier::per_mille(per_mille).unwrap_or(Multiplier::ONE)
    }

    #[test]
    fn one_credit_per_hundred_words() {
        assert_eq!(cost_mc(100, Multiplier::ONE), Millicredits::from_credits(1));
        assert_eq!(cost_mc(100, m(1500)), Millicredits::new(1500));
        assert_eq!(cost_mc(100, m(3000)), Millicredits::from_credits(3));
        assert_eq!(cost_mc(0, m(3000)), Millicredits::ZERO);
        // 1 word at 1.55x = 15.5 mc -> 16 mc.
        assert_eq!(cost_mc(1, m(1550)), Millicredits::new(16));
    }

    #[test]
    fn multipliers_are_bounded() {
        assert!(Multiplier::per_mille(0).is_err());
        assert!(Multiplier::per_mille(MAX_PER_MILLE + 1).is_err());
    }

    #[test]
    fn a_price_charges_output_and_input_at_their_rates() {
        let price = Price::at(m(1500), m(250));
        assert_eq!(price.cost(100), Millicredits::new(1500));
        assert_eq!(price.input_cost(1100, 1000), Millicredits::new(250));
        assert_eq!(price.affordable(Millicredits::new(1500)), 100);
    }

    #[test]
    fn the_own_key_fee_scales_each_rate_rounding_up() {
        let price = Price::at(m(1500), m(250)).with_fee(100);
        assert_eq!(price, Price::at(m(150), m(25)));
        // 1001 * 1 / 1000 rounds up to 2 per mille.
        assert_eq!(Price::at(m(1001), m(1)).with_fee(1), Price::at(m(2), m(1)));
        assert_eq!(
            Price::at(m(1000), m(250)).with_fee(1000),
            Price::at(m(1000), m(250))
        );
    }

    #[test]
    fn a_zero_fee_makes_it_free() {
        let free = Price::at(m(1500), m(250)).with_fee(0);
        assert_eq!(free.cost(1_000_000), Millicredits::ZERO);
        assert_eq!(free.input_cost(1_000_000, 0), Millicredits::ZERO);
        assert_eq!(free.affordable(Millicredits::ZERO), u64::MAX);
        assert_eq!(free.with_fee(1000), free);
    }

    #[test]
    fn a_fee_past_the_largest_multiplier_makes_that_rate_free() {
        // Not reachable from a validated setting; it must not panic or wrap.
        let price = Price::at(m(MAX_PER_MILLE), m(1)).with_fee(u32::MAX);
        assert_eq!(price.cost(100), Millicredits::ZERO);
    }

    proptest! {
        #[test]
        fn affordable_output_fits_the_budget(budget in 0i64..1_000_000_000, pm in 1u32..=MAX_PER_MILLE) {
            let price = Price::at(m(pm), Multiplier::ONE);
            let words = price.affordable(Millicredits::new(budget));
            prop_assert!(price.cost(words).get() <= budget);
            prop_assert!(price.cost(words + 1).get() > budget);
        }
    }

    #[test]
    fn input_is_free_up_to_the_allowance_then_priced_like_output() {
        assert_eq!(input_cost_mc(1000, 1000, m(250)), Millicredits::ZERO);
        assert_eq!(input_cost_mc(0, 1000, m(250)), Millicredits::ZERO);
        // 100 words over at 0.25x: 250 mc.
        assert_eq!(input_cost_mc(1100, 1000, m(250)), Millicredits::new(250));
        assert_eq!(input_cost_mc(1, 0, m(250)), Millicredits::new(3));
    }

    #[test]
    fn the_default_input_rate_is_a_quarter_of_the_output_rate_rounded_up() {
        assert_eq!(default_input_multiplier(Multiplier::ONE).get(), 250);
        assert_eq!(default_input_multiplier(m(1500)).get(), 375);
        assert_eq!(default_input_multiplier(m(1001)).get(), 251);
        assert_eq!(default_input_multiplier(m(1)).get(), 1);
    }

    proptest! {
        #[test]
        fn input_costs_exactly_its_words_over_the_allowance(
            words in 0u64..10_000_000,
            free in 0u64..100_000,
            pm in 1u32..=MAX_PER_MILLE,
        ) {
            let rate = m(pm);
            let cost = input_cost_mc(words, free, rate);
            prop_assert_eq!(cost, cost_mc(words.saturating_sub(free), rate));
            prop_assert_eq!(cost == Millicredits::ZERO, words <= free);
            prop_assert!(input_cost_mc(words + 1, free, rate) >= cost);
            prop_assert!(input_cost_mc(words, free + 1, rate) <= cost);
        }

        #[test]
        fn the_default_input_rate_is_valid_and_a_rounded_up_quarter(pm in 1u32..=MAX_PER_MILLE) {
            let input = default_input_multiplier(m(pm));
            prop_assert!(Multiplier::per_mille(input.get()).is_ok());
            prop_assert!(input.get() * 4 >= pm);
            prop_assert!(input.get() * 4 < pm + 4);
        }

        #[test]
        fn cost_is_monotonic_and_never_under_the_exact_price(words in 0u64..10_000_000, pm in 1u32..=MAX_PER_MILLE) {
            let mult = m(pm);
            let cost = cost_mc(words, mult).get();
            let exact_x1000 = i128::from(words) * 10 * i128::from(pm);
            prop_assert!(i128::from(cost) * 1000 >= exact_x1000);
            prop_assert!(i128::from(cost) * 1000 < exact_x1000 + 1000);
            prop_assert!(cost_mc(words + 1, mult) >= cost_mc(words, mult));
        }

        #[test]
        fn affordable_words_fit_the_budget(budget in 0i64..1_000_000_000, pm in 1u32..=MAX_PER_MILLE) {
            let mult = m(pm);
            let words = words_affordable(Millicredits::new(budget), mult);
            prop_assert!(cost_mc(words, mult).get() <= budget);
            prop_assert!(cost_mc(words + 1, mult).get() > budget);
        }
    }
}
