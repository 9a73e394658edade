// Package reviews brings reviewers' decisions back into the evidence.
//
// A run writes the answers routed to human review as review.parquet and,
// beside it, review.csv (with empty decision and note columns) and
// review.html. A reviewer fills the two columns in a spreadsheet; ReadCSV
// reads them back and checks each decision (accept, reject or escalate;
// an empty cell is an answer not yet reviewed). Sign writes a review
// record: a DSSE envelope around an in-toto Statement v1 of predicate
// type PredicateType, signed with the reviewer's own key, whose subjects
// are the signed report envelope and the filled review.csv by SHA-256,
// and whose predicate holds every decision. Verify checks a record's
// signature and decodes it strictly; VerifyCSV checks that a review.csv is
// the one the record was made from.
//
// Load reads the records of a folder that verify with one of the given
// keys, and Count turns those for one eval set into the report's
// ReviewDecisions: an answer decided in several records counts once, with
// its latest decision. evalgate run and score --reviews (or the config's
// run.reviews_dir) put the counts in the report, where the gate sees
// them, and evalgate history charts review.reviewed, review.accepted and
// review.rejected. IsRecord tells a review record from other envelopes,
// so that evalgate verify checks it as one.
//
// Keys never appear in records or errors; only their fingerprints do.
package reviews
