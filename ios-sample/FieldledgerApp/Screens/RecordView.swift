import ForemanCore
import SwiftUI

/// One record: its approval state (who decided, when, what they wrote), what it holds, and the conflicts two phones
/// made, each value with a "Keep" button.
struct RecordView: View {
    @StateObject private var model: RecordViewModel

    init(repo: FieldRepository, recordId: String) {
        _model = StateObject(wrappedValue: RecordViewModel(repo: repo, recordId: recordId))
    }

    var body: some View {
        let state = model.state
        List {
            if let approval = state.approval {
                Section("Approval") {
                    Text(approval.label).bold()
                    if let by = approval.decidedBy, let at = approval.decidedAtMs {
                        Text("Last decision by \(by), \(formatted(ms: at))").font(.caption)
                    }
                    if let comment = approval.comment, approval.state != .rejected {
                        Text("“\(comment)”").font(.caption)
                    }
                }
            }

            if !state.conflicts.isEmpty {
                Section {
                    ForEach(state.conflicts, id: \.path) { conflict in
                        ConflictRow(conflict: conflict, busy: state.busy) { choice in
                            Task { await model.keep(path: conflict.path, choice: choice) }
                        }
                    }
                } header: {
                    Text("Conflicts")
                } footer: {
                    Text("Two phones changed these fields at once. The first value is what the record reads now; keep the right one and sync.")
                }
            }

            if let record = state.record {
                RecordContent(record: record)
            }

            ErrorBanner(error: state.error)
        }
        .navigationTitle("Record")
        .navigationBarTitleDisplayMode(.inline)
        .task { await model.load() }
        .refreshable { await model.load() }
    }
}

private struct ConflictRow: View {
    let conflict: FieldConflict
    let busy: Bool
    let onKeep: (Int) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text(conflict.path).font(.caption.monospaced()).foregroundStyle(.secondary)
            ForEach(Array(conflict.values.enumerated()), id: \.offset) { index, value in
                HStack {
                    Text(value).bold(index == 0)
                    Spacer()
                    Button("Keep") { onKeep(index) }
                        .buttonStyle(.bordered)
                        .disabled(busy)
                }
            }
        }
    }
}

/// What the record holds, by kind.
private struct RecordContent: View {
    let record: AnyRecord

    var body: some View {
        switch record {
        case let .labourSheet(sheet):
            Section("Labour sheet \(sheet.workDate)") {
                ForEach(sheet.lines, id: \.id) { line in
                    LabeledContent(
                        "\(line.trade) × \(line.headcount)",
                        value: "\(line.effort) \(line.effortUnit.short) × \(line.rate) = \(line.cost)"
                    )
                }
                LabeledContent("Total", value: "\(sheet.totalHeadcount) workers, \(sheet.totalCost) \(sheet.currency)")
            }
        case let .expense(expense):
            Section("Expense \(expense.date)") {
                LabeledContent("Amount", value: "\(expense.amount) \(expense.currency)")
                LabeledContent("Category", value: expense.category)
                LabeledContent("Cost code", value: expense.costCode)
                if let vendor = expense.vendor { LabeledContent("Vendor", value: vendor) }
                Thumbnails(photos: expense.receipts)
            }
        case let .progressReport(report):
            Section("Progress \(report.date)") {
                LabeledContent("Activity", value: report.activity)
                LabeledContent("Progress", value: report.measure.text)
                if let caption = report.caption { Text(caption) }
                Thumbnails(photos: report.photos)
            }
        case let .wageAdvance(advance):
            Section("Wage advance \(advance.date)") {
                LabeledContent("Worker", value: advance.worker.name)
                LabeledContent("Amount", value: "\(advance.amount) \(advance.currency)")
                LabeledContent("Reason", value: advance.reason)
                Thumbnails(photos: advance.slips)
            }
        case let .observation(observation):
            Section("Observation \(observation.date)") {
                LabeledContent("Title", value: observation.title)
                LabeledContent("Category", value: "\(observation.category)")
                LabeledContent("Severity", value: "\(observation.severity)")
                if let place = observation.place { LabeledContent("Place", value: place) }
                if let description = observation.description { Text(description) }
                Thumbnails(photos: observation.photos)
            }
        case let .dayLog(log):
            Section("Day log \(log.date)") {
                if let am = log.weatherAm { LabeledContent("Morning", value: "\(am)") }
                if let pm = log.weatherPm { LabeledContent("Afternoon", value: "\(pm)") }
                if let low = log.tempLowC { LabeledContent("Low", value: "\(low) °C") }
                if let high = log.tempHighC { LabeledContent("High", value: "\(high) °C") }
                if let notes = log.notes { Text(notes) }
                ForEach(log.visitors, id: \.id) { v in LabeledContent("Visitor", value: v.name) }
                ForEach(log.delays, id: \.id) { d in LabeledContent("Delay (\(d.cause))", value: "\(d.hours) h") }
            }
        }
    }
}

private struct Thumbnails: View {
    let photos: [Photo]

    var body: some View {
        if !photos.isEmpty {
            ScrollView(.horizontal) {
                HStack {
                    ForEach(photos, id: \.sha256) { LocalImage(path: $0.thumbnailPath) }
                }
            }
        }
    }
}
