package pluginhost

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FilePrefix starts the file name of every external plugin executable in a
// plugin directory: scanfw-plugin-<id>, for example scanfw-plugin-output.csv.
// Its pinned digest lives beside it in <file>.sha256 (the first word of the
// file, as sha256sum writes it).
const FilePrefix = "scanfw-plugin-"

// Dirs returns the plugin directories in search order: those given on the
// command line or in the profile, then $SCANFW_PLUGIN_PATH (colon separated),
// then the user's own directory.
func Dirs(explicit []string) []string {
	dirs := append([]string(nil), explicit...)
	if env := os.Getenv("SCANFW_PLUGIN_PATH"); env != "" {
		for _, d := range filepath.SplitList(env) {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	if cfg, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(cfg, "scanfw", "plugins"))
	}
	return dirs
}

// Discover lists the external plugins in dirs. A directory that does not
// exist is skipped; the first directory that holds an ID wins. Problems with
// single files (no digest file, say) are returned beside the sources so one
// bad file does not hide the rest.
func Discover(dirs []string) ([]Source, []error) {
	var out []Source
	var errs []error
	seen := map[string]bool{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, fmt.Errorf("plugin directory %s: %w", dir, err))
			}
			continue
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, FilePrefix) || strings.HasSuffix(name, ".sha256") || e.IsDir() {
				continue
			}
			id := strings.TrimPrefix(name, FilePrefix)
			if seen[id] {
				continue
			}
			path := filepath.Join(dir, name)
			fi, err := os.Stat(path)
			if err != nil || fi.Mode()&0o111 == 0 {
				continue
			}
			sum, err := readDigestFile(path + ".sha256")
			if err != nil {
				errs = append(errs, fmt.Errorf("plugin %s: %w", path, err))
				continue
			}
			seen[id] = true
			out = append(out, Source{ID: id, Path: path, SHA256: sum})
		}
	}
	return out, errs
}

func readDigestFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("no %s beside it: external plugins must be pinned by sha256", filepath.Base(path))
		}
		return "", err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "", fmt.Errorf("%s is empty", path)
	}
	return f[0], nil
}
