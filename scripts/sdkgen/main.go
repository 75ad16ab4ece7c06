// Command pulumi-sdkgen-datadog-testing generates an SDK for a Pulumi package schema with the
// code generators of github.com/pulumi/pulumi/pkg/v3 at the engine's pinned version.
//
//	pulumi-sdkgen-datadog-testing <python|nodejs> <schema.json> <out-dir>
//
// `pulumi package gen-sdk` cannot be used: it asks the language host to generate, and the
// language hosts this project can build (sdk/v3 v3.79.0 for Python) predate GeneratePackage.
// The schema must refer to no other package (this package's does not).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-datadog-testing"

// noPackages is a loader for a self-contained schema: any reference to another package is an error.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q; only self-contained schemas are supported", pkg)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (l noPackages) LoadPackageReference(pkg string, v *semver.Version) (schema.PackageReference, error) {
	_, err := l.LoadPackage(pkg, v)
	return nil, err
}

func (l noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-sdkgen-datadog-testing: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: pulumi-sdkgen-datadog-testing <python|nodejs> <schema.json> <out-dir>")
	}
	language, schemaPath, outDir := os.Args[1], os.Args[2], os.Args[3]
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		fail("reading the schema: %v", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fail("%s is not a package schema: %v", schemaPath, err)
	}
	loader := noPackages{}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		fail("binding the schema: %v", err)
	}
	if diags.HasErrors() {
		fail("the schema is invalid: %v", diags)
	}
	var files map[string][]byte
	switch language {
	case "python":
		files, err = python.GeneratePackage(tool, pkg, nil, loader)
	case "nodejs":
		files, err = nodejs.GeneratePackage(tool, pkg, nil, nil, false, loader)
	default:
		fail("unknown language %q (python or nodejs)", language)
	}
	if err != nil {
		fail("generating the %s SDK: %v", language, err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(outDir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fail("%v", err)
		}
		fmt.Println(name)
	}
}
