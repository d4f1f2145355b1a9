// Package profile holds the scan profile: the plain Go description of a scan
// that the core consumes, its HCL form (Parse, Load, HCL) and the checks
// that point at the profile source when something is wrong.
//
// A profile file is decoded in one pass with a fixed schema for the core's
// own settings; the bodies of probe and output blocks are kept as cty values
// because only the plugin knows their schema. Once a plugin has described
// itself, CheckSettings (or DecodeSettings) validates its block and reports
// problems at the attribute, with a did-you-mean for typos.
//
// Diagnostics carry source ranges. Print them with WriteDiagnostics and the
// files of the Loader that read the profile, which gives Terraform-style
// messages: file and line, the source line and the offending range.
package profile
