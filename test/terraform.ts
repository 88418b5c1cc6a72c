/**
 * Runs Terraform with the AWS provider from the machine's local plugin mirror against a test's
 * faultline. The CLI configuration is written by the test and pointed at by TF_CLI_CONFIG_FILE,
 * so nothing is fetched from the network.
 */
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Faultline } from './harness.ts';

const run = promisify(execFile);

const MIRRORS = ['/opt/tf-plugins', '/usr/share/terraform/plugins', '/root/.terraform.d/plugins'];

export function pluginMirror(): string {
  const found = MIRRORS.find((m) => existsSync(join(m, 'registry.terraform.io', 'hashicorp', 'aws')));
  if (!found) throw new Error(`no local mirror of hashicorp/aws in ${MIRRORS.join(', ')}: find it with find / -name 'terraform-provider-aws*'`);
  return found;
}

/**
 * The provider block of every test configuration. No `endpoints` block: the provider takes the
 * endpoint from AWS_ENDPOINT_URL in its environment (a faultline's `clientEnv`), and validating an
 * `endpoints` block (a set of ~300 attributes) doubled the CPU of every graph walk.
 */
export function providerBlock(region = 'us-east-1'): string {
  return `
provider "aws" {
  region                      = "${region}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}
`;
}

/**
 * For every Terraform command of the tests. GOGC=400: Terraform and the provider (which inherits
 * it) spend much of each command building and decoding the provider's 13 MB schema, and collect
 * garbage less often with it: ~30% less CPU per command for ~150 MB more memory.
 */
export const TF_ENV = { TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', GOGC: '400' };

export interface TerraformRun {
  dir: string;
  /** Any Terraform command in the run's directory and environment (`-no-color` added): its stdout. */
  run(...args: string[]): Promise<string>;
  /** The root module's outputs, as the state holds them (`{ value, type }` by name). */
  outputs(): Record<string, { value: unknown }>;
  /** `terraform apply`: the outputs after it. */
  apply(): Promise<Record<string, { value: unknown }>>;
  /** `terraform plan -detailed-exitcode`: its output; a planned change (exit code 2) fails it as an error does. */
  plan(): Promise<string>;
  /** `terraform destroy` without the refresh before it (the state is what the last apply left): its output. */
  destroy(): Promise<string>;
}

/** A Terraform working directory holding `hcl` plus the provider block, run against `fl`. */
export async function terraform(fl: Faultline, hcl: string): Promise<TerraformRun> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-tf-'));
  const cache = join(tmpdir(), 'faultline-tf-plugin-cache');
  mkdirSync(cache, { recursive: true });
  const cliConfig = join(dir, 'terraform.rc');
  writeFileSync(
    cliConfig,
    `plugin_cache_dir = "${cache}"
provider_installation {
  filesystem_mirror {
    path    = "${pluginMirror()}"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`,
  );
  writeFileSync(join(dir, 'main.tf'), providerBlock() + hcl);
  const env = { ...fl.clientEnv, ...TF_ENV, TF_CLI_CONFIG_FILE: cliConfig, TF_INPUT: '0' };
  const tf = async (...args: string[]) => {
    try {
      return await run('terraform', args, { cwd: dir, env, maxBuffer: 64 << 20 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      throw new Error(`terraform ${args[0]} failed:\n${err.stderr ?? ''}\n${(err.stdout ?? '').slice(-4000)}`);
    }
  };
  await tf('init', '-input=false', '-no-color');
  // From the state file rather than `terraform output -json`, a command that costs seconds.
  const outputs = () => JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).outputs;
  return {
    dir,
    async run(...args) {
      return (await tf(...args, '-no-color')).stdout;
    },
    outputs,
    async apply() {
      await tf('apply', '-auto-approve', '-input=false', '-no-color');
      return outputs();
    },
    async plan() {
      return (await tf('plan', '-detailed-exitcode', '-input=false', '-no-color')).stdout;
    },
    async destroy() {
      // -refresh=false: the refresh would cost a graph walk of its own; a test asserts what destroy left.
      return (await tf('destroy', '-auto-approve', '-refresh=false', '-input=false', '-no-color')).stdout;
    },
  };
}
