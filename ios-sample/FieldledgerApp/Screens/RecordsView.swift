import ForemanCore
import SwiftUI

/// The site's records of the last week with where each stands with the supervisors, conflicts flagged.
struct RecordsView: View {
    @StateObject private var model: RecordsViewModel
    private let repo: FieldRepository

    init(repo: FieldRepository, site: SiteContext) {
        self.repo = repo
        _model = StateObject(wrappedValue: RecordsViewModel(repo: repo, site: site))
    }

    var body: some View {
        List {
            ErrorBanner(error: model.state.error)
            ForEach(model.state.rows) { row in
                NavigationLink {
                    RecordView(repo: repo, recordId: row.id)
                } label: {
                    RecordRowView(row: row)
                }
            }
        }
        .overlay {
            if model.state.rows.isEmpty && !model.state.busy {
                Text("No records this week yet").foregroundStyle(.secondary)
            }
        }
        .navigationTitle("Records")
        // On coming back from a record too: keeping a conflict's value changes the row.
        .onAppear { Task { await model.refresh() } }
        .refreshable { await model.refresh() }
    }
}

private struct RecordRowView: View {
    let row: RecordRow

    var body: some View {
        let summary = row.summary
        HStack(alignment: .top) {
            Image(systemName: summary.kind.systemImage)
                .foregroundStyle(.secondary)
                .frame(width: 24)
            VStack(alignment: .leading, spacing: 2) {
                Text(summary.subject.isEmpty ? summary.kind.title : summary.subject).bold()
                Text("\(summary.date) · \(summary.kind.title)").font(.caption).foregroundStyle(.secondary)
                Text(row.approval.label)
                    .font(.caption)
                    .foregroundStyle(color(row.approval.state))
                if summary.conflictCount > 0 {
                    Label("\(summary.conflictCount) conflicting fields", systemImage: "exclamationmark.triangle.fill")
                        .font(.caption)
                        .foregroundStyle(.orange)
                }
            }
            Spacer()
            if let total = summary.total {
                Text([total, summary.currency].compactMap { $0 }.joined(separator: " "))
                    .monospacedDigit()
            }
        }
    }

    private func color(_ state: ApprovalState) -> Color {
        switch state {
        case .approved: return .green
        case .rejected: return .red
        case .changedSinceApproval: return .orange
        case .pending: return .secondary
        }
    }
}
