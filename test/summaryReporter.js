/**
 * Prints one plain closing line, "tests: N passed, N failed, N skipped", after jest's own summary, so
 * CI (which does not parse jest's summary) can tell how many tests ran.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
