package responsetimes

// The scenario and its checks, for the external tests (package
// projections_test), which use projectiontest: it imports this package, so
// they cannot be in it.
var (
	Scenario        = scenario
	ScenarioTargets = scenarioTargets
	ScenarioReport  = scenarioReport
	AssertReport    = assertReport
	Fixture         = fixture
	Relevant        = relevant
)
