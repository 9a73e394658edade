package reports

import "slices"

// Audit frameworks whose controls a report's sections give evidence for.
const (
	FrameworkSOC2     = "SOC 2"
	FrameworkISO42001 = "ISO/IEC 42001"
	FrameworkEUAIAct  = "EU AI Act"
	FrameworkNISTRMF  = "NIST AI RMF"
)

// Control is one control (or article, or subcategory) of an audit
// framework.
type Control struct {
	// Framework is one of the Framework constants.
	Framework string `json:"framework"`
	// ID is the control's identifier in its framework: a SOC 2 trust
	// services criterion (CC8.1, PI1.4), an ISO/IEC 42001 Annex A control
	// (A.6.2.4), an EU AI Act article (Art. 15) or a NIST AI RMF
	// subcategory (MEASURE 2.11).
	ID string `json:"id"`
	// Name is the control's title, shortened.
	Name string `json:"name"`
}

// Sections of a report (and of the documents beside it) that evidence
// controls, as SectionControls names them.
const (
	SectionAccuracy     = "accuracy"
	SectionFairness     = "fairness"
	SectionRegression   = "regression"
	SectionGroundedness = "groundedness"
	SectionBoundaries   = "boundaries"
	SectionPII          = "pii"
	SectionReview       = "review"
	SectionRun          = "run"
	SectionSignature    = "signature"
	SectionDrift        = "drift"
	SectionHistory      = "history"
	SectionApproval     = "approval"
)

// The controls, declared once.
var (
	soc2PI13 = Control{FrameworkSOC2, "PI1.3", "processing is complete, accurate and timely"}
	soc2PI14 = Control{FrameworkSOC2, "PI1.4", "outputs are complete, accurate and distributed as intended"}
	soc2PI15 = Control{FrameworkSOC2, "PI1.5", "inputs and outputs are stored completely and accurately"}
	soc2CC71 = Control{FrameworkSOC2, "CC7.1", "detection of changes that introduce vulnerabilities or anomalies"}
	soc2CC72 = Control{FrameworkSOC2, "CC7.2", "monitoring of system components for anomalies"}
	soc2CC81 = Control{FrameworkSOC2, "CC8.1", "changes are authorized, tested and approved before implementation"}
	soc2C11  = Control{FrameworkSOC2, "C1.1", "confidential information is identified and protected"}

	isoA54  = Control{FrameworkISO42001, "A.5.4", "assessing AI system impact on individuals or groups"}
	isoA624 = Control{FrameworkISO42001, "A.6.2.4", "AI system verification and validation"}
	isoA625 = Control{FrameworkISO42001, "A.6.2.5", "AI system deployment"}
	isoA626 = Control{FrameworkISO42001, "A.6.2.6", "AI system operation and monitoring"}
	isoA628 = Control{FrameworkISO42001, "A.6.2.8", "AI system recording of event logs"}
	isoA74  = Control{FrameworkISO42001, "A.7.4", "quality of data for AI systems"}
	isoA75  = Control{FrameworkISO42001, "A.7.5", "data provenance"}

	euArt10 = Control{FrameworkEUAIAct, "Art. 10", "data and data governance (examination for possible biases)"}
	euArt12 = Control{FrameworkEUAIAct, "Art. 12", "record-keeping"}
	euArt14 = Control{FrameworkEUAIAct, "Art. 14", "human oversight"}
	euArt15 = Control{FrameworkEUAIAct, "Art. 15", "accuracy, robustness and cybersecurity"}
	euArt72 = Control{FrameworkEUAIAct, "Art. 72", "post-market monitoring"}

	nistMe23  = Control{FrameworkNISTRMF, "MEASURE 2.3", "performance is measured in deployment-like conditions"}
	nistMe24  = Control{FrameworkNISTRMF, "MEASURE 2.4", "functionality and behavior are monitored in production"}
	nistMe25  = Control{FrameworkNISTRMF, "MEASURE 2.5", "the system is valid and reliable"}
	nistMe26  = Control{FrameworkNISTRMF, "MEASURE 2.6", "the system is evaluated for safety risks"}
	nistMe210 = Control{FrameworkNISTRMF, "MEASURE 2.10", "privacy risk is examined"}
	nistMe211 = Control{FrameworkNISTRMF, "MEASURE 2.11", "fairness and bias are evaluated"}
	nistMa24  = Control{FrameworkNISTRMF, "MANAGE 2.4", "mechanisms to supersede, disengage or deactivate"}
	nistMa41  = Control{FrameworkNISTRMF, "MANAGE 4.1", "post-deployment monitoring plans are implemented"}
)

// sectionControls maps each section to the controls it evidences, in
// framework order.
var sectionControls = map[string][]Control{
	SectionAccuracy:     {soc2PI13, soc2PI14, isoA624, euArt15, nistMe23, nistMe25},
	SectionFairness:     {soc2PI14, isoA54, isoA624, euArt10, euArt15, nistMe211},
	SectionRegression:   {soc2CC81, isoA624, isoA625, euArt15, nistMe23},
	SectionGroundedness: {soc2PI14, isoA624, euArt15, nistMe25},
	SectionBoundaries:   {soc2PI14, isoA624, euArt15, nistMe26},
	SectionPII:          {soc2C11, isoA74, euArt10, nistMe210},
	SectionReview:       {soc2PI14, isoA626, euArt14, nistMa24},
	SectionRun:          {soc2PI15, isoA628, isoA75, euArt12},
	SectionSignature:    {soc2CC81, isoA628, euArt12},
	SectionDrift:        {soc2CC71, soc2CC72, isoA626, euArt72, nistMe24, nistMa41},
	SectionHistory:      {soc2CC72, isoA626, euArt72, nistMe24, nistMa41},
	SectionApproval:     {soc2CC81, isoA625, euArt14, nistMa24},
}

// SectionControls returns the controls section evidences (nil for a
// section it does not know), as a copy.
func SectionControls(section string) []Control {
	return slices.Clone(sectionControls[section])
}

// Sections lists every section with controls, in a fixed order.
func Sections() []string {
	return []string{SectionAccuracy, SectionFairness, SectionRegression, SectionGroundedness, SectionBoundaries, SectionPII,
		SectionReview, SectionRun, SectionSignature, SectionDrift, SectionHistory, SectionApproval}
}

// ReportControls maps each section r has to the controls it evidences:
// the mapping report.json carries as "controls".
func ReportControls(r *Report) map[string][]Control {
	has := map[string]bool{
		SectionAccuracy:     r.Metrics.Accuracy.Overall.N > 0,
		SectionFairness:     len(r.Metrics.Fairness) > 0,
		SectionRegression:   r.Metrics.Regression != nil,
		SectionGroundedness: r.Metrics.Groundedness != nil,
		SectionBoundaries:   r.Metrics.Boundaries != nil,
		SectionPII:          r.Metrics.PII != nil,
		SectionReview:       r.Review != nil,
		SectionRun:          true,
		SectionSignature:    true,
		SectionHistory:      len(r.History) > 0,
	}
	out := map[string][]Control{}
	for _, s := range Sections() {
		if has[s] {
			out[s] = SectionControls(s)
		}
	}
	return out
}
