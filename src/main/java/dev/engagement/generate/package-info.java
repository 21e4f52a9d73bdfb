/**
 * Sources of pings: a seeded synthetic population (skewed segments, returning and churning clients,
 * weekly seasonality, a trickle of late and malformed pings), and a JSON Lines reader.
 */
package dev.engagement.generate;
