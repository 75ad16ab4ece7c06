// The native plugin's resources from TypeScript, with the generated SDK
// (@pulumi-datadog-testing/native, built by scripts/build-ts-sdk). Property names are the same
// snake_case names as in the Python package.
import * as pulumi from "@pulumi/pulumi";
import * as dd from "@pulumi-datadog-testing/native";

const config = new pulumi.Config();
const repository = config.get("repository") ?? "github.com/acme/shop";

const settings = new dd.ServiceSettings("checkout-prod", {
    repository_id: repository,
    service_name: "checkout",
    env: "prod",
    early_flake_detection_enabled: true,
    auto_test_retries_enabled: true,
});

const suite = new dd.SyntheticsSuite("checkout", {
    name: "Checkout journeys",
    tags: ["team:checkout"],
    tests: [
        { public_id: "abc-123-xyz", alerting_criticality: "critical" },
        { public_id: "def-456-uvw" },
    ],
    options: { alerting_threshold: 0.5 },
});

// Quarantine one flaky test when its id is configured (`pulumi config set flakyTestId <id>`).
const flakyTestId = config.get("flakyTestId");
const quarantined = flakyTestId
    ? new dd.FlakyTestState("flaky", {
          repository_id: repository,
          test_id: flakyTestId,
          state: "quarantined",
          reason: "flaky on main since the checkout rewrite",
      })
    : undefined;

export const settingsId = settings.id;
export const suiteId = suite.public_id;
export const monitorId = suite.monitor_id;
export const quarantinedPreviously = quarantined?.previous_state;
