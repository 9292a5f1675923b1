import ForemanCore
import SwiftUI

/// Sync with progress, what still waits on the phone, the last sync's refusals, and sign-out (refused while work is
/// unsynced unless the foreman confirms losing it).
struct SyncView: View {
    @EnvironmentObject private var session: AppSession
    @StateObject private var model: SyncViewModel
    @State private var editingServer = false
    private let site: SiteContext
    private let author: String

    init(repo: FieldRepository, account: ServerAccount, site: SiteContext, author: String) {
        _model = StateObject(wrappedValue: SyncViewModel(repo: repo, account: account))
        self.site = site
        self.author = author
    }

    var body: some View {
        let state = model.state
        List {
            Section("Waiting on this phone") {
                if let unsynced = state.unsynced {
                    LabeledContent("Records", value: "\(unsynced.records)")
                    LabeledContent("Photos", value: "\(unsynced.photos)")
                } else {
                    Text("…").foregroundStyle(.secondary)
                }
            }

            Section {
                Button {
                    Task { await model.sync() }
                } label: {
                    Label("Sync now", systemImage: "arrow.triangle.2.circlepath")
                }
                .disabled(state.running)
                if state.running {
                    Button("Cancel", role: .cancel) { model.cancel() }
                }
                SyncPhaseView(phase: state.phase)
            }

            if case let .finished(report) = state.phase, !report.errors.isEmpty {
                Section("Refused by the server") {
                    ForEach(report.errors, id: \.id) { refusal in
                        VStack(alignment: .leading) {
                            Text("\(refusal.code): \(refusal.id)").font(.caption).bold()
                            Text(refusal.message).font(.caption)
                        }
                    }
                }
            }

            Section("Account") {
                LabeledContent("Name", value: author)
                LabeledContent("Site", value: "\(site.siteName) (\(site.projectId)/\(site.siteId))")
                LabeledContent("Time zone", value: site.timeZone)
                LabeledContent("Server", value: session.settings.serverURL)
                LabeledContent("Phone core", value: FieldRepository.coreVersion)
                Button("Server address and token…") { editingServer = true }
                Button("Sign out", role: .destructive) {
                    Task { await model.signOut(discardUnsynced: false) }
                }
            }
        }
        .navigationTitle("Sync")
        .task { await model.refresh() }
        .refreshable { await model.refresh() }
        .alert("Unsynced work", isPresented: signOutBlocked) {
            Button("Sync first") { Task { await model.sync() } }
            Button("Delete it and sign out", role: .destructive) {
                Task { await model.signOut(discardUnsynced: true) }
            }
            Button("Cancel", role: .cancel) {}
        } message: {
            Text((state.signOutBlocked?.message ?? "") + " Signing out now deletes it from this phone for good.")
        }
        .onChange(of: state.signedOut) { signedOut in
            if signedOut { session.signedOut() }
        }
        .sheet(isPresented: $editingServer) {
            NavigationStack { ServerSettingsView() }
                .environmentObject(session)
        }
    }

    /// Shown while `signOutBlocked` is set; closing the alert clears it, so a second refusal shows it again.
    private var signOutBlocked: Binding<Bool> {
        Binding(
            get: { model.state.signOutBlocked != nil },
            set: { shown in if !shown { model.dismissSignOutBlock() } }
        )
    }
}

private struct SyncPhaseView: View {
    let phase: SyncPhase

    var body: some View {
        switch phase {
        case .idle:
            EmptyView()
        case let .running(step, steps, item):
            // The number of rounds is unknown until photos upload: indeterminate until then.
            if steps > 0 {
                ProgressView(value: Double(min(step, steps)), total: Double(steps)) { Text(item).font(.caption) }
            } else {
                ProgressView { Text(item).font(.caption) }
            }
        case let .finished(report):
            VStack(alignment: .leading, spacing: 2) {
                Label("Synced", systemImage: "checkmark.circle").foregroundStyle(.green)
                Text("Sent \(report.documentsSent), received \(report.documentsReceived) records in \(report.rounds) rounds")
                    .font(.caption)
                Text("\(report.photosUploaded) photos uploaded (\(byteText(report.photoBytesSent)))")
                    .font(.caption)
            }
        case let .failed(error):
            ErrorBanner(error: error)
        }
    }

    private func byteText(_ bytes: UInt64) -> String {
        ByteCountFormatter.string(fromByteCount: Int64(clamping: bytes), countStyle: .file)
    }
}
