package wiki

import "go.yaml.in/yaml/v3"

// learningField decodes the keys of learning from incidents into the model
// and reports whether key is one of them.
func (mp *metaParser) learningField(key string, k, v *yaml.Node) bool {
	switch key {
	case "runbooks":
		mp.d.Meta.Runbooks = append(mp.d.Meta.Runbooks, mp.strList(key, v)...)
	default:
		return false
	}
	return true
}
