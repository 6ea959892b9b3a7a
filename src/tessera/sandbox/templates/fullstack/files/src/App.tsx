import { useEffect, useState } from 'react'

type Hello = { message: string; visits: number }

export default function App() {
  const [hello, setHello] = useState<Hello | null>(null)

  useEffect(() => {
    fetch('/api/hello')
      .then((response) => response.json() as Promise<Hello>)
      .then(setHello)
      .catch(() => setHello(null))
  }, [])

  return (
    <main className="starter">
      <h1>Your app will appear here</h1>
      <p>Describe it in the chat and watch it being written.</p>
      <p className="api">{hello ? `${hello.message} (visit ${hello.visits})` : 'Waiting for the API…'}</p>
    </main>
  )
}
