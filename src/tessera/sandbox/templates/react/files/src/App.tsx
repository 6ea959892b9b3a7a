export default function App() {
  return (
    <main className="starter">
      <h1>Your app will appear here</h1>
      <p>Describe it in the chat and watch it being written.</p>
    </main>
  )
}
