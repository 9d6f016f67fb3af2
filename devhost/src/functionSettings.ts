/**
 * Per-function app settings the host reads: `AzureWebJobs.<FunctionName>.Disabled`.
 *
 * The WebJobs SDK (azure-webjobs-sdk, `Listeners/HostListenerFactory.cs` `IsDisabled`) checks both
 * `AzureWebJobs.<name>.Disabled` and `AzureWebJobs_<name>_Disabled` (Linux app settings cannot hold dots), and
 * `IConfigurationExtensions.IsSettingEnabled` takes "1" or "true" (any case) as on. Configuration keys are
 * case-insensitive there, so the environment is searched without regard to case.
 */

export function disabledSettingNames(functionName: string): string[] {
  return [`AzureWebJobs.${functionName}.Disabled`, `AzureWebJobs_${functionName}_Disabled`];
}

function isSettingEnabled(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v === "1" || v === "true";
}

export function isFunctionDisabled(functionName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const wanted = new Set(disabledSettingNames(functionName).map((n) => n.toLowerCase()));
  for (const [key, value] of Object.entries(env)) {
    if (wanted.has(key.toLowerCase()) && isSettingEnabled(value)) return true;
  }
  return false;
}
